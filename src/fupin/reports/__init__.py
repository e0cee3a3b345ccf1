"""Reports: pre-computed rollups per division and year, read by the dashboards."""
