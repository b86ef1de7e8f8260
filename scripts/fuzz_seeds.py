#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tierkv's fuzz targets into fuzz/corpus/<target>/.

The seeds are well-formed encodings (so the fuzzer starts past the checksums) plus a few
classic damages. Deterministic: re-running rewrites the same files. Inputs found by fuzzing
campaigns are added next to them with `<target> -merge=1 fuzz/corpus/<target> NEW_DIR`.

Usage: scripts/fuzz_seeds.py [REPO_ROOT]
"""
import json
import os
import struct
import sys


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def mask(crc: int) -> int:  # engine/core/crc32c.h
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def wal_record(rtype: int, version: int, payload: bytes) -> bytes:  # engine/wal/wal.h
    covered = struct.pack("<BQ", rtype, version) + payload
    return struct.pack("<II", len(payload), mask(crc32c(covered))) + covered


def sealed(body: bytes) -> bytes:  # engine/versioned/versioned_layout.cc
    return body + struct.pack("<I", mask(crc32c(body)))


def length_prefixed(data: bytes) -> bytes:  # engine/core/coding.h (fixed32 length)
    return struct.pack("<I", len(data)) + data


def snapshot_name(version: int) -> bytes:
    return b"snapshot-%020d" % version


def base_record(version: int) -> bytes:
    lanes = bytes((i * 7 + version) & 0xFF for i in range(2048))
    body = b"TKVBASE1" + length_prefixed(snapshot_name(version)) + struct.pack("<Q", version)
    return sealed(body + lanes)


def rollback_intent(target: int, base: int) -> bytes:
    body = b"TKVRBK01" + struct.pack("<Q", target) + length_prefixed(snapshot_name(base))
    return sealed(body + struct.pack("<Q", base))


def scenario(ops, faults) -> bytes:
    world = {"backend": "memory", "versioned_primary": True, "hybrid": False,
             "ephemeral_tier": True, "backup_tier": True, "async_backup": False,
             "async_backup_queue_capacity": 16, "overlay_store": False,
             "snapshot_interval_versions": 16, "keep_snapshots": 2,
             "wal_segment_size_bytes": 65536, "sector_size_bytes": 512, "latency_us_max": 50}
    doc = {"format_version": 1, "seed": 42, "build_id": "fuzz-seed", "clients": 2,
           "hot_keys": False, "over_budget": False, "world": world, "ops": ops,
           "faults": faults, "expected_violation": ""}
    return json.dumps(doc, indent=1).encode()


def op(kind, key="k1", client=0, keys=None, value_bytes=8, amount=0):
    return {"kind": kind, "client": client, "primary_namespace": "p", "secondary_namespace": "",
            "key": key, "keys": keys or [], "value_bytes": value_bytes, "amount": amount}


def fault(kind, at=10, duration=0, rate_ppm=0, target="", over_budget=False):
    return {"kind": kind, "at": at, "duration": duration, "rate_ppm": rate_ppm,
            "target": target, "over_budget": over_budget}


def seeds():
    three = b"".join(wal_record(1, v, b"value-%d" % v) for v in (1, 2, 3))
    yield "wal_record_fuzz", "one_record", wal_record(1, 1, b"hello")
    yield "wal_record_fuzz", "empty_payload", wal_record(0, 7, b"")
    yield "wal_record_fuzz", "three_records", three
    yield "wal_record_fuzz", "torn_tail", three[:-3]
    yield "wal_record_fuzz", "huge_length", struct.pack("<II", 0xFFFFFFF0, 0) + b"\x01" * 9
    # wal_recovery_fuzz reads a FuzzedDataProvider stream: any bytes are a valid input.
    yield "wal_recovery_fuzz", "raw_records", three + bytes(range(16))
    yield "wal_recovery_fuzz", "structured", bytes((i * 37) & 0xFF for i in range(200))
    yield "wal_recovery_fuzz", "short", b"\x01\x02\x03"
    yield "versioned_layout_fuzz", "base_record", base_record(12)
    yield "versioned_layout_fuzz", "base_record_v0", base_record(0)
    yield "versioned_layout_fuzz", "rollback_intent", rollback_intent(40, 32)
    yield "versioned_layout_fuzz", "snapshot_name", snapshot_name(123)
    yield "versioned_layout_fuzz", "bad_magic", b"TKVBASE2" + base_record(3)[8:]
    yield "store_key_fuzz", "valid", b"primary-ns\x00secondary_ns\x00key-1\x02\x02\x02\x03"
    yield "store_key_fuzz", "bad_chars", b"a/b\x00..\x00k\xff\x00\x00\x00"
    yield "store_key_fuzz", "long", b"x" * 300 + b"\x01\x00\x01"
    yield "page_token_fuzz", "token", b"p\x00s\x00" + b"0123456789abcdef0123456789abcdef" + b"\x05" * 16
    yield "page_token_fuzz", "upper", b"ns\x00\x00" + b"ABCDEF" * 6 + b"\x09" * 16
    yield "scenario_fuzz", "small", scenario(
        [op("write"), op("read"), op("list_walk", key=""), op("atomic_batch", keys=["a", "b"]),
         op("cas", client=1), op("rollback", amount=2), op("advance_clock", amount=1000)],
        [fault("crash"), fault("io_error", rate_ppm=1000, target="wal"),
         fault("backup_outage", at=100, duration=500)])
    yield "scenario_fuzz", "empty", scenario([], [])
    yield "scenario_fuzz", "bad_kind", scenario([op("wrte")], [])
    yield "scenario_fuzz", "not_json", b"{\"seed\": 1,"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    for target, name, data in seeds():
        directory = os.path.join(root, "fuzz", "corpus", target)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "seed_" + name), "wb") as out:
            out.write(data)


if __name__ == "__main__":
    main()
