"""Load first, index after: indexes and constraints come back exactly, or nothing is stored."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from fupin.common.deferred_indexes import indexes_deferred, should_defer
from fupin.divisions.models import Division
from fupin.registry.models import Household

TABLE = Household._meta.db_table


def _definitions() -> set[str]:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = %s", [TABLE])
            return {row[0] for row in cursor.fetchall() if row[0]}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass "
            "UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass",
            [TABLE, TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def _village() -> str:
    for code, level in (("51", 1), ("5134", 2), ("513431", 3), ("513431100", 4)):
        Division.objects.create(code=code, name=code, level=level)
    Division.objects.create(code="513431100001", name="村", level=5)
    return "513431100001"


def _household(code: str, village: str) -> Household:
    return Household(
        code=code, village_id=village, main_cause="illness", first_identified_year=2014
    )


@pytest.mark.django_db(transaction=True)
def test_indexes_and_constraints_come_back_after_the_load():
    village = _village()
    before = _definitions()
    with transaction.atomic(), indexes_deferred([TABLE]) as deferred:
        assert deferred == (connection.vendor == "postgresql")
        Household.objects.bulk_create([_household(f"H{i}", village) for i in range(50)])
    assert _definitions() == before
    assert Household.objects.count() == 50


@pytest.mark.django_db(transaction=True)
def test_duplicate_loaded_while_deferred_rolls_everything_back():
    village = _village()
    Household.objects.create(
        code="H0", village_id=village, main_cause="illness", first_identified_year=2014
    )
    before = _definitions()
    with pytest.raises(IntegrityError), transaction.atomic(), indexes_deferred([TABLE]):
        Household.objects.bulk_create([_household("H1", village), _household("H0", village)])
        if connection.vendor != "postgresql":  # SQLite keeps its indexes: refused at once
            pytest.fail("the duplicate should have been refused")
    assert _definitions() == before
    assert list(Household.objects.values_list("code", flat=True)) == ["H0"]


@pytest.mark.django_db
def test_deferring_needs_postgresql_and_a_load_large_for_the_table():
    if connection.vendor != "postgresql":
        assert not should_defer({TABLE: 1_000_000})
    else:
        # ANALYZE writes its row estimate outside transactions, so an earlier test's import
        # can leave one behind; measure this test's (empty) table first.
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{TABLE}"')
        assert should_defer({TABLE: 10})  # empty table


@pytest.mark.django_db(transaction=True)
def test_deferring_outside_a_transaction_is_refused():
    if connection.vendor == "postgresql":
        with pytest.raises(RuntimeError), indexes_deferred([TABLE]):
            pass
    else:
        with indexes_deferred([TABLE]) as deferred:
            assert deferred is False


@pytest.mark.django_db(transaction=True)
def test_deferring_works_after_earlier_writes_in_the_same_transaction() -> None:
    """Pending deferred foreign-key checks of earlier rows must not block the ALTER TABLE."""
    from django.db import connection, transaction

    from fupin.divisions.services import divisions_load
    from fupin.registry.imports.services import registry_import_table
    from fupin.registry.models import Household
    from fupin.synth.generator import generate

    if connection.vendor != "postgresql":
        assert not should_defer({"registry_household": 10})
        return
    divisions_load(prefix="513431")
    village = Division.objects.filter(code__startswith="513431100", level=5).first()
    assert village is not None
    with transaction.atomic():
        # A row written the ORM way queues a deferred foreign-key check on the table …
        Household.objects.create(
            code="T-1", village=village, main_cause="illness", first_identified_year=2016
        )
        # … and the bulk load that follows, large for the table, drops its constraints.
        second = registry_import_table(
            table_or_batches=generate(division="513431101", persons=40, seed=2), source="test"
        )
        assert second.ok, second.errors[:3]
    assert Household.objects.filter(village__code__startswith="513431101").exists()
