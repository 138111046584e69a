"""Reads back the files of `sipsleuth analyze --out DIR` with pandas, polars and
DuckDB, and checks them against summary.json. Run by tests/files.rs when
Python has pandas, pyarrow, polars and duckdb (`.ci/run` installs them).

usage: python3 tests/readback.py DIR
"""
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

d = Path(sys.argv[1])
summary = json.loads((d / "summary.json").read_text())
tables = ["calls", "registrations", "transactions", "messages", "findings"]

for t in tables:
    pq = pd.read_parquet(d / f"{t}.parquet")
    cv = pd.read_csv(d / f"{t}.csv")
    pl_df = pl.read_parquet(d / f"{t}.parquet")
    dk = duckdb.sql(f"SELECT count(*) FROM '{d / (t + '.parquet')}'").fetchall()[0][0]
    assert len(pq) == len(cv) == pl_df.height == dk, (t, len(pq), len(cv), pl_df.height, dk)

calls = pd.read_parquet(d / "calls.parquet")
assert len(calls) == summary["calls"]["attempts"], (len(calls), summary["calls"]["attempts"])
for cat, n in summary["calls"]["outcomes"].items():
    assert (calls["category"] == cat).sum() == n, (cat, n)
assert str(calls["start"].dtype).startswith("datetime64[ns, UTC]"), calls["start"].dtype
assert str(pl.read_parquet(d / "calls.parquet")["start"].dtype) == "Datetime(time_unit='ns', time_zone='UTC')"

msgs = duckdb.sql(f"SELECT count(*), count(DISTINCT call_id) FROM '{d / 'messages.parquet'}'").fetchall()[0]
assert msgs[0] == summary["sip"]["messages"], (msgs, summary["sip"]["messages"])

regs = pd.read_parquet(d / "registrations.parquet")
assert len(regs) == summary["registrations"]["attempts"]
assert (regs["outcome"] == "REGISTERED").sum() == summary["registrations"]["registered"]

pdd = duckdb.sql(f"SELECT quantile_disc(pdd_ms, 0.5) FROM '{d / 'calls.parquet'}' WHERE pdd_ms IS NOT NULL").fetchall()[0][0]
if summary["calls"]["pdd_ms"]["count"]:
    assert abs(pdd - summary["calls"]["pdd_ms"]["p50"]) < 0.01, (pdd, summary["calls"]["pdd_ms"]["p50"])

print("readback ok:", {t: len(pd.read_parquet(d / f"{t}.parquet")) for t in tables})
