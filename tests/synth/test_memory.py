"""Streaming: peak memory does not grow with the number of persons."""

from __future__ import annotations

import subprocess
import sys

import pytest

MiB = 2**20

# Run in a fresh interpreter per size, so that memory kept by the allocators from an earlier
# run cannot hide growth.
CHILD = """
import sys, threading, time
import psutil
from fupin.divisions.source import read_level
from fupin.synth.generator import generate

read_level(5, "513431")
process = psutil.Process()
start = peak = process.memory_info().rss
done = threading.Event()

def sample():
    global peak
    while not done.is_set():
        peak = max(peak, process.memory_info().rss)
        time.sleep(0.005)

watcher = threading.Thread(target=sample)
watcher.start()
rows = 0
largest = 0
for batch in generate(division="513431", persons=int(sys.argv[1]), seed=1):
    rows += batch.num_rows
    largest = max(largest, batch.nbytes)
done.set()
watcher.join()
assert rows == int(sys.argv[1])
print(peak - start, largest)
"""


def peak_growth(persons: int) -> tuple[int, int]:
    """Peak RSS above the RSS after reading the divisions while generating ``persons``, and
    the size of the largest batch."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(persons)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    peak, largest = result.stdout.strip().splitlines()[-1].split()
    return int(peak), int(largest)


@pytest.mark.slow
def test_peak_memory_is_flat_in_the_number_of_persons() -> None:
    # Batches of 50,000 households (≈225,000 persons here); the steady state holds the batch
    # being built and the one the consumer still holds, reached from the second batch on.
    # Four more batches: a generator that kept its batches would grow by four batches (about
    # 100 MiB each); the allocator's noise on a shared machine is well under one.
    three_batches, batch = peak_growth(500_000)
    seven_batches, _ = peak_growth(1_500_000)
    assert seven_batches < three_batches + batch
    assert seven_batches < 800 * MiB
