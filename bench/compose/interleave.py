#!/usr/bin/env python3
"""Interleaved timing: every round runs each command once, in a random order,
so a slow minute of a shared machine falls on all of them alike (hyperfine
runs one command's runs in a block). Prints per command the median wall
time, p10/p90 and the median CPU time (user+sys of the process and its
children), and, against the last command, the ratio of medians and the
median of the per-round ratios (both commands measured within the same
round).

    bench/compose/interleave.py [-r ROUNDS] [-w WARMUP] NAME=COMMAND ... REF=COMMAND
    bench/compose/interleave.py -r 30 "config=$B config -f big.yaml" \
        "dc=docker-compose -f big.yaml config"

Commands are split with shlex and run directly (no shell), output to
/dev/null; a command that fails stops the run.
"""
import argparse
import os
import random
import shlex
import statistics
import sys
import time


def run_once(argv, devnull):
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"interleave: {shlex.join(argv)} failed (wait status {status})")
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-r", "--rounds", type=int, default=30)
    parser.add_argument("-w", "--warmup", type=int, default=3)
    parser.add_argument("commands", nargs="+", help="NAME=COMMAND; the last one is the reference")
    args = parser.parse_args()
    names, argvs = [], []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not command:
            sys.exit(f"interleave: expected NAME=COMMAND, got {spec!r}")
        names.append(name)
        argvs.append(shlex.split(command))
    devnull = os.open(os.devnull, os.O_WRONLY)
    wall = [[] for _ in names]
    cpu = [[] for _ in names]
    for round_number in range(args.warmup + args.rounds):
        order = list(range(len(names)))
        random.shuffle(order)
        for i in order:
            w, c = run_once(argvs[i], devnull)
            if round_number >= args.warmup:
                wall[i].append(w)
                cpu[i].append(c)
    ref = len(names) - 1
    ref_median = statistics.median(wall[ref])
    width = max(len(n) for n in names)
    print(f"{args.rounds} rounds; 1-minute load average at the end: {os.getloadavg()[0]:.2f}")
    for i, name in enumerate(names):
        deciles = statistics.quantiles(wall[i], n=10)
        line = (f"{name:{width}}  median {statistics.median(wall[i]):8.1f} ms  p10 {deciles[0]:8.1f}"
                f"  p90 {deciles[8]:8.1f}  CPU median {statistics.median(cpu[i]):8.1f} ms")
        if i != ref:
            per_round = [r / w for r, w in zip(wall[ref], wall[i])]
            line += (f"  {names[ref]}/this: {ref_median / statistics.median(wall[i]):5.1f}x (medians),"
                     f" {statistics.median(per_round):5.1f}x (median of rounds,"
                     f" p10 {statistics.quantiles(per_round, n=10)[0]:.1f}x)")
        print(line)


if __name__ == "__main__":
    main()
