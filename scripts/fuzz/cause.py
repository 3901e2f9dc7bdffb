"""What a finding is about, as a key that groups the cases of one cause.

The first unexplained difference of a case names a field (its path class,
e.g. "steps.bridge ADD.out.msg"). Many causes share a field: every error
reported in another order differs in the same "out.msg". So the key adds
what the two sides said there, with the parts that vary from case to case
(quoted names, addresses, numbers) blanked out: two cases fall together
when they differ in the same field in the same words."""
import re

_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')
_ADDRESS = re.compile(r'[0-9A-Fa-f]*(?:[.:][0-9A-Fa-f]*){2,}(?:/\d+)?')
_NUMBER = re.compile(r'\d+')


def message_class(text):
    """The words of an error message without what varies between cases."""
    text = _QUOTED.sub('"_"', text)
    text = _ADDRESS.sub(lambda m: 'ADDR' if any(ch.isdigit() for ch in m.group()) else m.group(), text)
    return _NUMBER.sub('N', text)[:100]


def _said(value):
    """What one side said in a field, reduced to its class."""
    if isinstance(value, dict) and 'msg' in value:      # a whole error object
        return '%s %s' % (value.get('code'), message_class(str(value['msg'])))
    if isinstance(value, str):
        return message_class(value)
    if isinstance(value, (bool, int)) or value is None:
        return repr(value)
    return type(value).__name__                            # lists, objects: the field says enough


def cause(finding):
    """The grouping key of a finding (path, ref, ours, field class)."""
    _, ref, ours, field = finding
    return '%s | ref: %s | ours: %s' % (field, _said(ref), _said(ours))
