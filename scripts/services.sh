#!/usr/bin/env bash
# Best effort before the tests: start the local PostgreSQL cluster if it is installed and down,
# so the PostgreSQL variants of the ledger tests run instead of being skipped. Never fails.
command -v pg_isready >/dev/null 2>&1 || exit 0
pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 && echo "services: PostgreSQL is up" || echo "services: PostgreSQL not available; its tests will skip"
exit 0
