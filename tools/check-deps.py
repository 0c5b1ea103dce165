#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that tools/install-deps.sh installs every external command that the
tests and tools run, and that each of them is installed on this machine.

Static part: every shell script under tests/ and tools/ is parsed with shfmt
(its JSON syntax tree, so quotes, here-documents and $(...) are handled the
way bash handles them) and every Python script with the ast module.  A
command word that is not a shell builtin, not a function defined in the
scanned scripts and not in install-deps.sh's "command package" table is an
error naming the file and line.  Runtime part: every command of the table
must be on PATH; a missing one is named with the package that provides it.

Prints "TWRESULT deps <passed> <failed>" and exits 1 on any failure.
usage: check-deps.py [SOURCE_DIR]
"""
import ast, json, os, re, shutil, subprocess, sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(os.path.dirname(__file__), '..'))
SCAN = ['tests', 'tools']

BUILTINS = set('''
. : [ [[ alias bg bind break builtin caller cd command compgen complete compopt
continue declare dirs disown echo enable eval exec exit export false fc fg
getopts hash help history jobs kill let local logout mapfile popd printf pushd
pwd read readarray readonly return set shift shopt source suspend test times
trap true type typeset ulimit umask unalias unset wait
'''.split())

# Commands that run another command: how many words to skip before it.
# A function (args) -> index of the wrapped command, or None.
def _after_opts(args, i, takes_value=()):
    while i < len(args) and args[i] is not None and args[i].startswith('-'):
        i += 2 if args[i] in takes_value else 1
    return i

WRAPPERS = {
    'exec': lambda a: _after_opts(a, 1, ('-a',)),
    'command': lambda a: None if len(a) > 1 and a[1] in ('-v', '-V') else 1,
    'nice': lambda a: _after_opts(a, 1, ('-n',)),
    'nohup': lambda a: 1,
    'setsid': lambda a: _after_opts(a, 1),
    'stdbuf': lambda a: _after_opts(a, 1),
    'env': lambda a: next((j for j in range(1, len(a))
                           if a[j] is not None and '=' not in a[j] and not a[j].startswith('-')),
                          None),
    'timeout': lambda a: _after_opts(a, 1, ('-s', '-k', '--signal', '--kill-after')) + 1,
    'taskset': lambda a: _after_opts(a, 1) + (0 if '-p' in a else 1),
    'xargs': lambda a: _after_opts(a, 1, ('-n', '-I', '-P', '-d', '-L', '-s', '-E')),
    'ip': lambda a: 4 if a[1:3] == ['netns', 'exec'] else None,
}
# The tests' own helpers (tests/*/lib.sh) that run their arguments.
WRAPPERS.update({
    'must': lambda a: 1,    # must CMD...: a set-up step
    'step': lambda a: 1,    # the same in tests/interop/run-interop.sh
    'expect': lambda a: 2,  # expect DESCRIPTION CMD...
})
NEED = 'need'  # need CMD...: every argument is a command
SHELLS = ('sh', 'bash')


def table():
    """install-deps.sh's command table: {command: package}."""
    text = open(os.path.join(SRC, 'tools', 'install-deps.sh')).read()
    m = re.search(r'^cmds=\((.*?)^\)', text, re.S | re.M)
    if not m:
        sys.exit('check-deps: no cmds=( ... ) table in tools/install-deps.sh')
    body = re.sub(r'#.*', '', m.group(1))
    words = body.split()
    if len(words) % 2:
        sys.exit('check-deps: the cmds table of tools/install-deps.sh needs command/package pairs')
    return dict(zip(words[0::2], words[1::2]))


def literal(word):
    """The word's text if it is a plain literal (quoted or not), else None."""
    out = ''
    for p in word.get('Parts', []):
        t = p.get('Type')
        if t == 'Lit':
            out += p['Value']
        elif t == 'SglQuoted':
            out += p['Value']
        elif t == 'DblQuoted' and all(q.get('Type') == 'Lit' for q in p.get('Parts', [])):
            out += ''.join(q['Value'] for q in p.get('Parts', []))
        else:
            return None
    return out


def shell_ast(text, path):
    r = subprocess.run(['shfmt', '--to-json'], input=text, capture_output=True, text=True)
    if r.returncode:
        raise SyntaxError('%s: shfmt: %s' % (path, r.stderr.strip()))
    return json.loads(r.stdout)


def walk(node, calls, funcs, path, line0=0):
    """Collect (command, line) of every call, and every function name."""
    if isinstance(node, list):
        for n in node:
            walk(n, calls, funcs, path, line0)
        return
    if not isinstance(node, dict):
        return
    if node.get('Type') == 'FuncDecl':
        funcs.add(node['Name']['Value'])
    if node.get('Type') == 'CallExpr' and node.get('Args'):
        args = [literal(w) for w in node['Args']]
        line = line0 + node['Pos']['Line']
        i = 0
        while i is not None and i < len(args) and args[i] is not None:
            cmd = args[i]
            calls.append((cmd, line))
            if cmd == NEED:
                calls += [(c, line) for c in args[i + 1:] if c is not None]
                break
            if os.path.basename(cmd) in SHELLS and i + 2 < len(args) and args[i + 1] == '-c' \
                    and args[i + 2] is not None:
                try:
                    walk(shell_ast(args[i + 2], path), calls, funcs, path, line - 1)
                except SyntaxError:
                    pass
                break
            w = WRAPPERS.get(cmd)
            if not w:
                break
            j = w(args[i:])
            i = None if j is None else i + j
    for k, v in node.items():
        if k not in ('Pos', 'End'):
            walk(v, calls, funcs, path, line0)


def py_calls(text, path):
    calls = []
    for n in ast.walk(ast.parse(text, path)):
        if not isinstance(n, ast.Call) or not n.args:
            continue
        f = n.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, 'id', '')
        a = n.args[0]
        if name in ('run', 'Popen', 'call', 'check_call', 'check_output') and \
                isinstance(a, (ast.List, ast.Tuple)) and a.elts and \
                isinstance(a.elts[0], ast.Constant) and isinstance(a.elts[0].value, str):
            calls.append((a.elts[0].value, n.lineno))
        elif name == 'which' and isinstance(a, ast.Constant):
            calls.append((a.value, n.lineno))
    return calls


def main():
    deps = table()
    passed = failed = 0
    calls, funcs = [], set()
    for top in SCAN:
        for d, _, files in os.walk(os.path.join(SRC, top)):
            if '/corpus' in d or '/build' in d:
                continue
            for f in sorted(files):
                p = os.path.join(d, f)
                rel = os.path.relpath(p, SRC)
                text = open(p, errors='replace').read()
                if f.endswith('.py') or text.startswith('#!/usr/bin/env python3'):
                    calls += [(c, rel, l) for c, l in py_calls(text, rel)]
                elif f.endswith('.sh') or text.startswith('#!/bin/bash') or \
                        text.startswith('#!/bin/sh'):
                    got = []
                    walk(shell_ast(text, rel), got, funcs, rel)
                    calls += [(c, rel, l) for c, l in got]
    unknown = {}
    for cmd, rel, line in calls:
        # Paths and variables ($FP, ./x, /usr/bin/x) are the project's own
        # programs or resolved elsewhere; assignments are not commands.
        if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_.+-]*', cmd):
            continue
        if cmd in BUILTINS or cmd in funcs or cmd in deps:
            continue
        unknown.setdefault(cmd, []).append('%s:%d' % (rel, line))
    for cmd in sorted(unknown):
        failed += 1
        print('FAIL - %s is run by %s but not in install-deps.sh\'s cmds table' %
              (cmd, ', '.join(unknown[cmd][:4])))
    if not unknown:
        passed += 1
        print('ok   - every command run by tests/ and tools/ is in install-deps.sh (%d calls)' %
              len(calls))
    for cmd, pkg in sorted(deps.items()):
        if shutil.which(cmd):
            passed += 1
        else:
            failed += 1
            print('FAIL - missing command %s (Debian package %s): run tools/install-deps.sh' %
                  (cmd, pkg))
    print('TWRESULT deps %d %d' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
