#!/usr/bin/env python3
"""fuzz.py - the differential fuzzer: our bridge + host-local against the
reference (/usr/lib/cni), case by case, in throwaway namespaces.

    fuzz.py [--cases N | --seconds S] [--seed X] [--out DIR] [BIN]
    fuzz.py --replay CASE.json [CASE.json ...] [--verbose] [BIN]
    fuzz.py --regressions [BIN]
    fuzz.py --hunt KNOWN [--seed X | --replay CASE.json] [--out DIR] [BIN]

Run it through scripts/fuzz.sh, which makes the private network and mount
namespaces it needs. BIN is the directory of our built plugins (default:
scripts/build.sh's). Each generated case is reproducible from (seed,
index). A case with a difference no rule of deliberate.py explains is a
finding, written whole to --out (case-SEED-INDEX.json). Findings are
grouped by cause (cause.py: the field and what each side said there); the
first case of each cause is shrunk to a minimal case, written as a
self-contained JSON reproducer (finding-SEED-INDEX.json) that --replay runs
again. Differences that
known.py lists (findings whose fix is pending) are reported, not failed.
--hunt fuzzes until a known finding shows (or takes the given case), shrinks
it and writes it as a regression case. The last line is "N passed, M
failed" (cases without / with an unexplained difference).
"""
import argparse, glob, json, os, random, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import node, runner, compare, cases, cause, shrink, known  # noqa: E402

REGRESSIONS = os.path.join(HERE, 'regressions')
VERBOSE = False


def show(value, limit=300):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + '...'


def report(found, out=sys.stdout):
    for path, a, b, cls in found[:8]:
        if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, str) for x in a + b):
            a, b = [x for x in a if x not in b], [x for x in b if x not in a]   # what only one side has
        print('    %s\n      ref:  %s\n      ours: %s' % (cls, show(a), show(b)), file=out)
    if len(found) > 8:
        print('    ... %d more' % (len(found) - 8), file=out)


def ordered(found):
    """Step outcomes first: they say more than the state they led to."""
    return sorted(found, key=lambda f: (f[0][0] != 'steps', f[0][:2] if f[0][0] == 'steps' else ()))


def check(case):
    """(unexplained differences, result, names of the known findings seen)."""
    result = runner.run_case(case)
    found, explained = compare.findings(case, result)
    result['known'] = sorted({e[3] for e in explained if e[3].startswith('known:')})
    return ordered(found), result


def load_case(path):
    with open(path) as f:
        doc = json.load(f)
    return doc if 'steps' in doc else doc['case'], doc


def fuzz(args):
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print('fuzz: seed %d' % seed, flush=True)
    deadline = time.monotonic() + args.seconds if args.seconds else None
    limit = args.cases if args.cases is not None else (None if deadline else 100)
    os.makedirs(args.out, exist_ok=True)
    passed = failed = 0
    distinct, known_seen = {}, {}
    i = 0
    while (limit is None or i < limit) and (deadline is None or time.monotonic() < deadline):
        case = cases.generate(random.Random('%d:%d' % (seed, i)))
        case['origin'] = {'seed': seed, 'index': i}
        try:
            found, result = check(case)
            for name in result['known']:
                known_seen.setdefault(name, '%d:%d' % (seed, i))
        except Exception as e:             # a harness failure is reported, never hidden
            found = [(('harness',), None, repr(e), 'harness error: %s' % type(e).__name__)]
        if found:
            failed += 1
            sig = cause.cause(found[0])
            with open(os.path.join(args.out, 'case-%d-%d.json' % (seed, i)), 'w') as f:
                json.dump({'finding': sig, 'case': case}, f, indent=1, sort_keys=True)
            if sig not in distinct:
                print('finding %d (case %d:%d): %s' % (len(distinct) + 1, seed, i, sig), flush=True)
                report(found)
                small = shrink.shrink(case, lambda found, _: any(cause.cause(x) == sig for x in found), check,
                                      budget=args.shrink_budget) if args.shrink else case
                path = os.path.join(args.out, 'finding-%d-%d.json' % (seed, i))
                with open(path, 'w') as f:
                    json.dump({'finding': sig, 'case': small}, f, indent=1, sort_keys=True)
                print('  minimal case: %s\n  %s' % (path, json.dumps(small, sort_keys=True)), flush=True)
                distinct[sig] = [path, 0]
            distinct[sig][1] += 1
        else:
            passed += 1
        i += 1
        if i % 100 == 0:
            print('fuzz: %d cases, %d with findings, %d distinct' % (i, failed, len(distinct)), flush=True)
    print('fuzz: seed %d, %d cases, %d distinct findings' % (seed, i, len(distinct)))
    for sig, (path, n) in distinct.items():
        print('  %4d x %s  (%s)' % (n, sig, path))
    print_known(known_seen)
    return passed, failed


def hunt(args):
    """Fuzzes until a case shows the known finding NAME (known.py), shrinks
    it, and writes it as a regression case marked pending."""
    name = 'known:' + args.hunt
    entry = next(e for e in known.KNOWN if e['name'] == name)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    limit = args.cases or 5000
    given = [load_case(p)[0] for p in args.replay or []]     # shrink these instead of fuzzing
    for i in range(len(given) or limit):
        case = given[i] if given else cases.generate(random.Random('%d:%d' % (seed, i)))
        found, result = check(case)
        if name in result['known']:
            print('hunt: case %d:%d shows %s after %d cases' % (seed, i, args.hunt, i + 1), flush=True)
            small = shrink.shrink(case, lambda f, r: name in r['known'], check, budget=args.shrink_budget)
            small['origin'] = case.get('origin') or {'seed': seed, 'index': i}
            os.makedirs(args.out, exist_ok=True)
            path = os.path.join(args.out, '%s.json' % args.hunt.replace('_', '-'))
            with open(path, 'w') as out:
                status = entry['status']
                pending = status.split()[-1] if status.startswith('fix pending on branch') else 'open'
                json.dump({'finding': entry['finding'], 'pending': pending, 'case': small},
                          out, indent=1, sort_keys=True)
            print('hunt: minimal case written to %s\n%s' % (path, json.dumps(small, sort_keys=True)))
            return 1, 0
    print('hunt: %s not seen in %d cases (seed %d)' % (args.hunt, limit, seed))
    return 0, 1


def print_known(seen):
    """Known findings (known.py) met in this run, with a case that shows each."""
    for entry in known.KNOWN:
        if entry['name'] in seen:
            print('  known (%s), e.g. case %s: %s' % (entry['status'], seen[entry['name']], entry['finding']))


def replay(paths):
    passed = failed = known_count = 0
    for path in paths:
        case, doc = load_case(path)
        found, result = check(case)
        name = os.path.basename(path)
        if VERBOSE:
            for side in ('ref', 'ours'):
                for i, r in enumerate(result['raw'][side]):
                    print('  %-4s step %d (%s): exit %s %s' % (side, i, r['by'], r['exit'],
                                                            ' '.join(r['stdout'].split())[:400]))
        pending = doc.get('pending')
        if found:
            failed += 1
            print('FAIL %s' % name)
            report(found)
        elif pending and result['known']:
            known_count += 1
            passed += 1
            why = 'fix pending on branch %s' % pending if pending != 'open' else 'open, not fixed yet'
            print('KNOWN %s: %s (known, %s)' % (name, ', '.join(result['known']), why))
        elif pending:
            passed += 1
            print('FIXED %s: no difference any more; remove its "pending" mark (branch %s)' % (name, pending))
        elif result['known']:
            passed += 1
            print('KNOWN %s: %s' % (name, ', '.join(result['known'])))
        else:
            passed += 1
            print('ok   %s' % name)
    if known_count:
        print('%d known differences, fix pending' % known_count)
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cases', type=int)
    ap.add_argument('--seconds', type=float)
    ap.add_argument('--seed', type=int)
    ap.add_argument('--out', default='/tmp/fuzz-findings')
    ap.add_argument('--replay', nargs='+', metavar='CASE')
    ap.add_argument('--regressions', action='store_true')
    ap.add_argument('--hunt', metavar='KNOWN', help='fuzz until the known finding shows, shrink it (known.py name)')
    ap.add_argument('--no-shrink', dest='shrink', action='store_false')
    ap.add_argument('--verbose', action='store_true', help='with --replay: print every step\'s output')
    ap.add_argument('--shrink-budget', type=int, default=60)
    ap.add_argument('bin', nargs='?')
    args = ap.parse_args()
    if args.replay and not args.bin and os.path.isdir(args.replay[-1]):
        args.bin = args.replay.pop()          # --replay takes every path; the last may be BIN
    if os.geteuid() != 0 or os.environ.get('FUZZ_IN_NETNS') != '1':
        sys.exit('fuzz.py: run through scripts/fuzz.sh (root, private namespaces)')
    binary = args.bin or subprocess.run([os.path.join(HERE, '..', 'build.sh')], check=True,
                                        capture_output=True, text=True).stdout.strip()
    node.prepare_root(binary)
    global VERBOSE
    VERBOSE = args.verbose
    if args.hunt:
        passed, failed = hunt(args)
    elif args.replay:
        passed, failed = replay(args.replay)
    elif args.regressions:
        passed, failed = replay(sorted(glob.glob(os.path.join(REGRESSIONS, '*.json'))))
    else:
        passed, failed = fuzz(args)
    print('%d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
