"""Platform health: analyzers over Databricks system tables, the overview, alerts."""
