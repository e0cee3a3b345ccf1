"""Synthetic registries: ``generator.generate`` streams a calibrated registry in real villages,
``writers.write_file`` writes it to CSV or Parquet, ``calibration`` holds every figure used."""
