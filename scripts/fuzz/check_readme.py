#!/usr/bin/env python3
"""Keeps deliberate.py and the README in sync, both ways:
- every rule, model and translation of deliberate.py names (by its bold
  lead) a bullet of README's "Where we differ from the reference, on
  purpose" or of the fuzzer section's list of differences against Debian's
  1.1.1; a rule whose README item arrives with another branch says so
  ("pending") and is only reported;
- every bullet of "Where we differ" is covered by a rule, or listed in
  deliberate.NOT_OBSERVABLE with the reason no comparison can see it.
Ends with "N passed, M failed" (items in sync / not)."""
import os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import deliberate  # noqa: E402

README = os.path.join(HERE, '..', '..', 'README.md')


def bullets(text, heading):
    """Bold leads of the top-level bullets under a heading (any level)."""
    m = re.search(r'^#+ %s\s*$(.*?)(?=^#+ |\Z)' % re.escape(heading), text, re.M | re.S)
    if not m:
        return None
    return re.findall(r'^- \*\*(.+?)\*\*', m.group(1), re.M)


def main():
    text = open(README).read()
    differ = bullets(text, deliberate.WHERE_WE_DIFFER)
    newer = bullets(text, deliberate.NEWER_UPSTREAM)
    passed = failed = 0
    if differ is None or newer is None:
        print('FAIL README lacks the section "%s" or "%s"' % (deliberate.WHERE_WE_DIFFER, deliberate.NEWER_UPSTREAM))
        print('0 passed, 1 failed')
        return 1
    leads = set(differ) | set(newer)
    entries = [('rule', r['name'], r['readme'], r.get('pending')) for r in deliberate.RULES] + \
              [('model', m['model'], m['readme'], m.get('pending')) for m in deliberate.MODELS] + \
              [('translation', t['what'], t['readme'], t.get('pending')) for t in deliberate.TRANSLATIONS]
    for kind, name, readme, pending in entries:
        if readme in leads:
            passed += 1
        elif pending:
            passed += 1
            print('pending %s %s: README item "%s" arrives with branch %s' % (kind, name, readme, pending))
        else:
            failed += 1
            print('FAIL %s %s points at "%s", which is no README bullet' % (kind, name, readme))
    used = {e[2] for e in entries}
    for lead in differ:
        if lead in used or lead in deliberate.NOT_OBSERVABLE:
            passed += 1
        else:
            failed += 1
            print('FAIL README item "%s" has no rule in deliberate.py (nor a NOT_OBSERVABLE reason)' % lead)
    for lead in deliberate.NOT_OBSERVABLE:
        if lead not in differ:
            failed += 1
            print('FAIL deliberate.NOT_OBSERVABLE names "%s", which is no README item' % lead)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
