#!/bin/sh
# lessons.sh — the course as a user and a teacher meet it: the lint of every
# lesson (parses, widgets run, quiz answers confirmed by the core, steps fit
# 80x24), lesson 1 --print holding PyTorch's 60 digits of 1/3, a broken
# lesson named with file:line while the others still work, a teacher's own
# file played by path, the notes following the presenter, and bad usage.
# Run by `make test` with QLENS_BIN set.
set -u
Q=${QLENS_BIN:-build/qlens}
SRC=${QLENS_SRCDIR:-.}
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
T=$(mktemp -d /tmp/qlens-lessons-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME="$T/state"

# 1. The lint: every lesson of the course.
if "$Q" lessons --check >"$T/out" 2>"$T/err"; then ok; else bad "lessons --check:"; cat "$T/err"; fi
grep -q "^7 lessons checked, 0 with problems$" "$T/out" && ok || bad "lint summary: $(cat "$T/out")"

# 2. Lesson 1 --print: the notes' digits, as PyTorch prints them
# (tests/golden/lesson.txt, made by gen_lesson.py with torch).
"$Q" lesson 1 --print >"$T/print" 2>"$T/err" || bad "lesson 1 --print failed: $(cat "$T/err")"
for t in fp32 fp16 bf16 int8; do
	want=$(grep "^text	1/3 as $t is" "$SRC/tests/golden/lesson.txt" | sed 's/.*	1\/3 as [a-z0-9]* is \(0\.[0-9]*\)\.$/\1/')
	[ ${#want} -eq 62 ] || bad "golden for $t: '$want'"
	grep -qxF "$t keeps $want" "$T/print" && ok || bad "--print lacks '$t keeps $want'"
	grep -qF "          $want" "$T/print" && ok || bad "--print's bits widget lacks $t's $want"
done
want=$(grep "^text	fp64: " "$SRC/tests/golden/lesson.txt" | sed 's/.*	fp64: //')
grep -qxF "fp64 keeps $want" "$T/print" && ok || bad "--print lacks fp64's digits"
grep -q "^--- Step 11 of 11: Sources$" "$T/print" && ok || bad "lesson 1 does not end with its sources"
# numbers agree with qlens quantize: lesson 2's hand12 widget and its quiz
"$Q" lesson 2 --print >"$T/p2" || bad "lesson 2 --print"
s=$("$Q" quantize "$SRC/assets/samples/hand12.npy" --dtype int4 | sed -n 's/^scale *//p')
grep -q "^scale        $s$" "$T/p2" && ok || bad "lesson 2's hand12 scale differs from quantize's ($s)"
grep -q "^  Answer: 0.5$" "$T/p2" && ok || bad "lesson 2's scale quiz answer is not 0.5"

# 3. Lessons by number, name and path; unknown ones.
"$Q" lesson datatypes --print >"$T/a" && "$Q" lesson 01-datatypes --print >"$T/b" && cmp -s "$T/a" "$T/print" && cmp -s "$T/b" "$T/print" && ok || bad "lesson by name"
"$Q" lesson 42 --print >"$T/out" 2>"$T/err"; [ $? -eq 1 ] && grep -q "^qlens: no lesson '42'" "$T/err" && ok || bad "unknown lesson: $(cat "$T/err")"
"$Q" lesson >"$T/out" 2>"$T/err"; [ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "lesson without a number"
"$Q" lesson 1 --print --notes >"$T/out" 2>"$T/err"; [ $? -eq 2 ] && ok || bad "--print --notes together"
# --width is --print's: the player was opened with it ignored
"$Q" lesson 1 --width 60 >"$T/out" 2>"$T/err"; [ $? -eq 2 ] && grep -q "^qlens lesson: --width goes with --print" "$T/err" && ok || bad "--width without --print: $(cat "$T/err")"

# 4. A teacher's new lesson, written from lessons/README.md alone, by path.
cat >"$T/07-mine.lesson" <<'L'
title: My lesson
@source My notes
--- fp16's largest value
It is {= max(fp16)}.
@run dtypes --types fp16
@quiz What is fp16's eps?
@answer eps(fp16)
L
"$Q" lesson "$T/07-mine.lesson" --print >"$T/out" 2>"$T/err" || bad "own lesson: $(cat "$T/err")"
grep -qx "It is 65504." "$T/out" && grep -qx "  Answer: 0.000976562" "$T/out" && ok || bad "own lesson text: $(cat "$T/out")"
"$Q" lesson "$T/07-mine.lesson" --check >/dev/null 2>&1 && ok || bad "own lesson lint"

printf 'title: x\n@source s\n--- Only words\nJust text.\n' >"$T/08-idle.lesson"
"$Q" lesson "$T/08-idle.lesson" --check >"$T/out" 2>"$T/err"; [ $? -eq 1 ] && grep -q "08-idle.lesson:3: step 1 has nothing to do" "$T/err" && ok || bad "a step with nothing to do passes the lint"

# 5. A broken lesson in the course: named with file:line, the rest works.
mkdir -p "$T/data/lessons" && cp "$SRC"/lessons/*.lesson "$T/data/lessons/" && cp -r "$SRC/assets" "$T/data/"
printf 'title: Broken\n--- A\n@quiz Q?\n@choice a\n@choice b\n' >"$T/data/lessons/08-broken.lesson"
printf 'title: Bad widget\n--- A\n@run rm -rf /\n' >"$T/data/lessons/09-shell.lesson"
QLENS_DATADIR="$T/data" "$Q" lessons >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] && ok || bad "lessons with a broken file: exit $st"
grep -q "^qlens: .*/08-broken.lesson:3: a multiple-choice quiz needs one @right choice$" "$T/err" && ok || bad "broken lesson message: $(cat "$T/err")"
grep -q "^qlens: .*/09-shell.lesson:3: 'rm' is not a command a lesson can run$" "$T/err" && ok || bad "shell widget message: $(cat "$T/err")"
[ "$(grep -c "^ [0-6]  " "$T/out")" -eq 7 ] && ok || bad "the other lessons are not listed: $(cat "$T/out")"
QLENS_DATADIR="$T/data" "$Q" lesson 2 --print >/dev/null 2>&1 && ok || bad "lesson 2 with a broken neighbour"

# 6. --notes follows the presenter's state file.
"$Q" lesson 3 --notes --once >"$T/out" 2>&1 && grep -q "^Waiting for 03-basics" "$T/out" && ok || bad "notes before presenting: $(cat "$T/out")"
mkdir -p "$XDG_STATE_HOME/qlens" && printf '03-basics 2 0\n' >"$XDG_STATE_HOME/qlens/present"
"$Q" lesson 3 --notes --once >"$T/out" 2>&1
grep -q "^Quantization basics -- step 3 of 8$" "$T/out" && grep -q "^LLM activations have exactly such channels" "$T/out" && ok || bad "notes of step 3: $(cat "$T/out")"

# 7. Progress: `qlens lessons` shows what a learner did.
mkdir -p "$XDG_STATE_HOME/qlens/lessons" && printf 'step 2\nseen 4\nmark 1 5 r\n' >"$XDG_STATE_HOME/qlens/lessons/01-datatypes.progress"
"$Q" lessons >"$T/out" 2>&1
grep -q "^ 1  Data types  *step 3 of 11, quizzes 1/8, tasks 0/1$" "$T/out" && ok || bad "progress line: $(grep 'Data types' "$T/out")"
grep -q "^ 0  Why quantize  *not started, 8 steps$" "$T/out" && ok || bad "not started line: $(grep 'Why' "$T/out")"
awk 'length > 80 { exit 1 }' "$T/out" && ok || bad "qlens lessons is wider than 80 columns"

echo "lessons.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
