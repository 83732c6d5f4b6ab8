#!/bin/sh
# tests/fuzz/campaign.sh - the fuzzing campaign so far, from the logs that
# tests/fuzz/run.sh appends to (tests/fuzz/logs/NAME.log): per harness the
# runs, CPU minutes, executions, the coverage (edges) and features of the
# latest run, and the crashes logged (SUMMARY lines: one per ASan, UBSan or
# leak report), as a Markdown table.
cd "$(dirname "$0")/logs" || exit 1
printf '| harness | runs | CPU minutes | executions | coverage (edges) | features | crashes |\n|---|---|---|---|---|---|---|\n'
for log in *.log; do
    awk -v name="${log%.log}" '
        /^== / { runs++ }
        /^cpu_seconds: / { cpu += $2 + $4 }                      # "cpu_seconds: U user S system"
        /^cpu_seconds \(user, system\): / {                      # "... 1m2.5s 0m3.1s" (sh times)
            for (i = 4; i <= 5; i++) { split($i, t, /[ms]/); cpu += t[1] * 60 + t[2] } }
        /DONE/ { execs += substr($1, 2); for (i = 1; i <= NF; i++) { if ($i == "cov:") cov = $(i + 1); if ($i == "ft:") ft = $(i + 1) } }
        /^SUMMARY: / { crashes++ }
        END { printf "| %s | %d | %.1f | %d | %s | %s | %d |\n", name, runs, cpu / 60, execs, cov, ft, crashes }' "$log"
done
