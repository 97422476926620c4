# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the host tests (mount-test.sh, fio-verify.sh): the step
# runner.  The caller sets $work (scratch directory), $results (one
# "pass|fail NAME" line per step) and $step_prefix (the console prefix);
# failures counts the failed steps.
# shellcheck shell=bash disable=SC2154

failures=0

# step NAME CMD...: run CMD in a subshell with errexit in force (it is
# not, inside an `if` or `||` condition), record its result and time.
step() {
	local name=$1 rc=0 start=$SECONDS
	shift
	set +e
	(
		set -e
		"$@"
	) >"$work/step.log" 2>&1
	rc=$?
	set -e
	if [[ $rc -eq 0 ]]; then
		echo "pass $name" >>"$results"
		echo "$step_prefix: PASS $name ($((SECONDS - start)) s)"
	else
		echo "fail $name" >>"$results"
		echo "$step_prefix: FAIL $name ($((SECONDS - start)) s)"
		tail -n 20 "$work/step.log" | sed 's/^/    /'
		failures=$((failures + 1))
	fi
}
