-- Run once by the postgres image on an empty data volume: a second database for the Prefect
-- server, beside sohoa's ledger (database "sohoa", created from POSTGRES_DB).
CREATE DATABASE prefect OWNER sohoa;
