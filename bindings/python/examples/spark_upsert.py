"""Upsert a customers.csv with Spark: read it into a DataFrame, repartition,
upsert every partition with dcams.spark, write the result table.

    DCAMS_ENDPOINT=... DCAMS_USER=... DCAMS_PASS=... \\
    python spark_upsert.py customers.csv results/ --partitions 8 --rate 50 [--master local[2]]

The CSV has a header row of the service's field names
(reference,email,fn,ln,addr,city,state,zip,dob,phone,front,back), images
as paths relative to the CSV. The result table (CSV, one file per
partition, in RESULTS) has one row per customer: email, code, type,
status, attempts. --rate is the total for all partitions together.
Credentials come from the environment of the driver, handed to the
executors (spark.executorEnv.*), never from the command line.
"""

from __future__ import annotations

import argparse
import os
import sys

from pyspark.sql import SparkSession

from dcams.spark import RESULT_SCHEMA, partition_upserter

ENV = ("DCAMS_ENDPOINT", "DCAMS_USER", "DCAMS_PASS", "DCAMS_TEST_KEY", "DCAMS_CA_FILE", "DCAMS_CA_BUNDLE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="customers CSV (header row of the service's field names)")
    parser.add_argument("results", help="output directory of the result table (CSV)")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--rate", type=float, default=None, help="requests per second, all partitions together")
    parser.add_argument("--concurrency", type=int, default=4, help="records in flight per partition")
    parser.add_argument("--master", default=None, help="e.g. local[2]; default: what spark-submit says")
    args = parser.parse_args()

    builder = SparkSession.builder.appName("dcams-upsert")
    if args.master:
        builder = builder.master(args.master)
    if (args.master or "").startswith("local"):
        # Local workers run this interpreter, which has dcams (on a cluster: see the README, "Spark").
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for name in ENV:  # the executors' client reads the same environment
        if os.environ.get(name):
            builder = builder.config(f"spark.executorEnv.{name}", os.environ[name])
    spark = builder.getOrCreate()
    try:
        customers = spark.read.csv(args.csv, header=True, inferSchema=False)
        upsert = partition_upserter(
            total_rate=args.rate,
            partitions=args.partitions,
            concurrency=args.concurrency,
            base_dir=os.path.dirname(os.path.abspath(args.csv)),
        )
        results = customers.repartition(args.partitions).rdd.mapPartitions(upsert).toDF(RESULT_SCHEMA)
        results.write.mode("overwrite").csv(args.results, header=True)
        counts = {row["code"]: row["count"] for row in spark.read.csv(args.results, header=True).groupBy("code").count().collect()}
        print("dcams spark_upsert: " + ", ".join(f"{code} {n}" for code, n in sorted(counts.items())))
        return 0 if set(counts) <= {"DCAMS_OK"} else 2
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
