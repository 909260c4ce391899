#!/usr/bin/env bash
# tests/reliability/figures.sh STATS - the reliability suite's figures, as
# docs/RELIABILITY.md quotes them, from the file the tests append to when
# RELIABILITY_STATS is set (scripts/check.sh sets it for make check).
set -euo pipefail
stats=${1:?usage: figures.sh STATS}
[ -s "$stats" ] || { echo "figures: $stats is empty (no reliability test ran)"; exit 0; }

awk -F '\t' '
$1 == "fault" { fired[$2] += $4; survived[$2] += $5; kinds[$2] = kinds[$2] " " $3; n[$2]++; allk[$3] = 1 }
$1 == "fault-cases" { cases += $2; fsec += $3 }
$1 == "crash-points" { points += $2; small = $4; every = $3; cold = $5; csec += $6 }
$1 == "crash-kind" { ckinds++ }
$1 == "bad-inputs" { bad += $2 }
$1 == "canary" { steps = $2; canaries = $3 }
END {
	if (cases) {
		nk = 0; for (k in allk) nk++
		printf "- fault matrix: %d cases in %d s, %d fault kinds;", cases, fsec, nk
		sep = ""
		for (a in n) { printf "%s %s %d (%d ridden out, %d failed cleanly)", sep, a, fired[a], survived[a], fired[a] - survived[a]; sep = ";" }
		printf "; every one followed by a clean run and the nothing-lost check\n"
	}
	if (points)
		printf "- crash matrix: %d crash points (every k of a %d-robot cold apply of %d requests, plus samples of a 250-robot one of %d requests), %d kinds of request killed, in %d s\n", points, small, every, cold, ckinds, csec
	if (bad)
		printf "- bad input: %d malformed configs, each one line with file:line:column, exit 64, no request\n", bad
	if (steps)
		printf "- secret hygiene: %d command runs, %d canary patterns\n", steps, canaries
}' "$stats"
