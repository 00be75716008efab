"""Daily Azure consumption: usage records (partitioned by month) and their ingestion."""
