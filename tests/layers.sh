#!/bin/sh
# layers.sh — the dependency rules of docs/ARCHITECTURE.md, checked on the
# source tree: no #include cycle between files; src/core and src/io include
# nothing of the TUI, the CLI, ncurses or readline (their library links
# without them: a call is a link error, an include is caught here); src/cli
# includes no TUI header, main.c alone excepted (it chooses the face).
set -u
cd "${QLENS_SRCDIR:-.}" || exit 1
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then echo "layers: no python3; skipped"; exit 0; fi
"$PY" - <<'PYEOF'
import os, re, sys
inc_re = re.compile(r'^\s*#\s*include\s+([<"])([^">]+)[">]', re.M)
files = {}
for root in ("src", "include"):
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith((".c", ".h")):
                p = os.path.normpath(os.path.join(d, f))
                files[p] = inc_re.findall(open(p, errors="replace").read())

def resolve(src, name):
    for c in (os.path.join(os.path.dirname(src), name), os.path.join("include", name)):
        c = os.path.normpath(c)
        if c in files:
            return c
    return None

graph = {p: [r for r in (resolve(p, n) for q, n in incs if q == '"') if r] for p, incs in files.items()}
fail = 0
state = {}
def visit(u, stack):
    global fail
    state[u] = 1
    stack.append(u)
    for v in graph[u]:
        if state.get(v) == 1:
            print("layers: include cycle: " + " -> ".join(stack[stack.index(v):] + [v]))
            fail += 1
        elif v not in state:
            visit(v, stack)
    stack.pop()
    state[u] = 2
for u in sorted(graph):
    if u not in state:
        visit(u, [])

ui = re.compile(r'(^|/)(n?cursesw?|readline|tui|tui_impl|app_impl|cmds|filecmd)\b|^readline/|^qlens/(tui|command)\.h$')
for p, incs in sorted(files.items()):
    lower = p.startswith(("src/core/", "src/io/"))
    cli = p.startswith("src/cli/") and p != "src/cli/main.c"
    for q, n in incs:
        if lower and ui.search(n):
            print(f"layers: {p} (core/io) includes {n}")
            fail += 1
        if cli and re.search(r'(^|/)(n?cursesw?\.h|readline|tui_impl\.h|qlens/tui\.h)', n):
            print(f"layers: {p} (CLI) includes the TUI's {n}")
            fail += 1
checked = len(files)
print(f"layers: {checked} files, {fail} problems")
sys.exit(1 if fail else 0)
PYEOF
