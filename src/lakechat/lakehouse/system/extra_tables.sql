-- Tables of Databricks' system catalog beyond the reference DDL, as Databricks documents them:
-- access.workspaces_latest (workspace names) and information_schema (owners, grants).
-- DuckDB keeps every database's own information_schema, so the catalog file stores this
-- schema as uc_information_schema; the warehouse maps the name back (duckdb_names.py).
CREATE SCHEMA IF NOT EXISTS uc_information_schema;

CREATE TABLE uc_information_schema.tables (
  table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, table_type VARCHAR,
  is_insertable_into VARCHAR, commit_action VARCHAR, table_owner VARCHAR, comment VARCHAR,
  created TIMESTAMPTZ, created_by VARCHAR, last_altered TIMESTAMPTZ, last_altered_by VARCHAR,
  data_source_format VARCHAR, storage_sub_directory VARCHAR, storage_path VARCHAR
);

CREATE TABLE uc_information_schema.schema_privileges (
  grantor VARCHAR, grantee VARCHAR, catalog_name VARCHAR, schema_name VARCHAR,
  privilege_type VARCHAR, is_grantable VARCHAR, inherited_from VARCHAR
);

CREATE TABLE access.workspaces_latest (
  account_id VARCHAR, workspace_id VARCHAR, workspace_name VARCHAR, workspace_url VARCHAR,
  create_time TIMESTAMPTZ, status VARCHAR
);

CREATE TABLE uc_information_schema.columns (
  table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR,
  ordinal_position INTEGER, is_nullable VARCHAR, full_data_type VARCHAR, data_type VARCHAR,
  comment VARCHAR
);
