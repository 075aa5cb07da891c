# SPDX-License-Identifier: MIT
"""Writes the pickle fixtures of test/fixtures/pickle (run once; the tests never need Python).

  python2.7 scripts/pickle_fixtures.py py2 test/fixtures/pickle   # Python 2 pickles, protocols 0-2
  python3   scripts/pickle_fixtures.py py3 test/fixtures/pickle   # Python 3 pickles, protocols 0-5,
                                                                  # numpy scalars, the two corpora

Each pickle `<name>.pickle` comes with its expected value in `expected.json` (canonical form,
see `canon`). `corpus.json` holds hand-made inputs with CPython's verdict (see `verdict`: its C unpickler,
which `pickle.loads` runs, and the pure-Python `pickle._Unpickler`, both with
encoding='latin1', the way Python 3 reads Python 2 pickles). `ops.json` lists each fixture's opcode offsets (pickletools.genops)
for the fuzz test's structured mutations. Globals are limited to the ones the project's
reader calls, so a verdict never depends on which modules happen to be installed.
"""
import io
import json
import os
import pickle
import pickletools
import struct
import sys

PY2 = sys.version_info[0] == 2
if PY2:
    text_type, bytes_type = unicode, str  # noqa: F821 (Python 2 names)
else:
    text_type, bytes_type = str, bytes

ALLOWED = set([
    ('numpy', 'dtype'), ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
    ('_codecs', 'encode'), ('__builtin__', 'bytes'), ('builtins', 'bytes'), ('__builtin__', 'set'),
    ('builtins', 'set'), ('__builtin__', 'frozenset'), ('builtins', 'frozenset'),
])


def hexbytes(b):
    return ''.join('%02x' % c for c in bytearray(b))


def canon(v, path=()):
    """A JSON form both Python and the JS reader can produce: ints and integral floats below
    2^53 as decimal strings (JS has one number type), other floats by their IEEE bits, a
    container that holds itself as {'cycle': how many levels up}."""
    if v is None:
        return None
    kind = type(v).__name__
    if isinstance(v, (list, tuple, set, frozenset, dict)):
        if id(v) in path:
            return {'cycle': len(path) - path.index(id(v))}
        path = path + (id(v),)
    if isinstance(v, bool) or kind in ('bool', 'bool_'):
        return {'bool': bool(v)}
    if kind.startswith('int') or kind.startswith('uint') or kind == 'long':
        return {'num': str(int(v))}
    if isinstance(v, float) or kind.startswith('float'):
        f = float(v)
        if f == f and abs(f) != float('inf') and f == int(f) and abs(f) <= 2 ** 53:
            return {'num': str(int(f))}
        return {'float': hexbytes(struct.pack('>d', f))}
    if isinstance(v, text_type):
        return {'str': v}
    if isinstance(v, bytes_type):
        # Python 2 str is read as latin-1 text by the project (and by encoding='latin1').
        return {'str': v.decode('latin1')} if PY2 else {'bytes': hexbytes(v)}
    if isinstance(v, (list, tuple)):
        return {'list': [canon(x, path) for x in v]}
    if isinstance(v, (set, frozenset)):
        return {'list': sorted((canon(x, path) for x in v), key=lambda c: json.dumps(c, sort_keys=True))}
    if isinstance(v, dict):
        pairs = [[canon(k, path), canon(x, path)] for k, x in v.items()]
        return {'dict': sorted(pairs, key=lambda p: json.dumps(p[0], sort_keys=True))}
    raise TypeError('no canonical form for %r' % (v,))


def fixture_value():
    """An AttnGAN captions.pickle-like list plus every scalar kind a metadata file may hold."""
    shared = [7, 8]
    latin = b'caf\xe9'.decode('latin1') if not PY2 else b'caf\xe9'
    raw = b'\x00\x01\x7f\x80\xff'.decode('latin1') if not PY2 else b'\x00\x01\x7f\x80\xff'
    return [
        [[1, 2, 3], [4, 5]],
        [[2, 1]],
        {0: '<end>', 1: 'bird', 2: 'red', 3: 'wing', 4: latin, 5: u'\u00fcber'},
        {'<end>': 0, 'bird': 1, 'red': 2},
        {
            'ints': [0, -1, 255, 256, 65535, 65536, -2 ** 31, 2 ** 31 - 1, 2 ** 53, 2 ** 62, -2 ** 62, 2 ** 70, -2 ** 70],
            'floats': [0.0, -0.0, 1.5, 0.1, 1e300, -2.5e-7, float('inf'), float('-inf')],
            'consts': [True, False, None],
            'strings': ['', 'it\'s "quoted"', 'tab\tnew\nline\\back', raw, u'snow \u2603 \U0001f600', u'back\\slash\nnl'],
            'tuple': (1, ('nested', ()), [2]),
            (1, 'key'): 'tuple key',
            'shared': [shared, shared],
        },
    ]


def write(out, name, data, expected, ops):
    with open(os.path.join(out, name + '.pickle'), 'wb') as f:
        f.write(data)
    expected[name] = canon(pickle.loads(data) if PY2 else pickle.loads(data, encoding='latin1'))
    ops[name] = [pos for _, _, pos in pickletools.genops(data)]


def merge_json(path, update):
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data.update(update)
    with open(path, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write('\n')


def py2(out):
    import cPickle
    expected, ops = {}, {}
    for proto in (0, 1, 2):
        write(out, 'py27-cpickle-p%d' % proto, cPickle.dumps(fixture_value(), proto), expected, ops)
    # StackGAN's class_info.pickle: pickle.dump(list_of_ints, f) at the default protocol 0.
    write(out, 'py27-class-info-p0', pickle.dumps([1, 1, 2, 200, 3], 0), expected, ops)
    write(out, 'py27-pickle-p0', pickle.dumps(fixture_value(), 0), expected, ops)
    merge_json(os.path.join(out, 'expected.json'), expected)
    merge_json(os.path.join(out, 'ops.json'), ops)


def restricted_loaders():
    class C(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) not in ALLOWED:
                raise pickle.UnpicklingError('global %s.%s not allowed' % (module, name))
            return pickle.Unpickler.find_class(self, module, name)

    class P(pickle._Unpickler):
        def find_class(self, module, name):
            if (module, name) not in ALLOWED:
                raise pickle.UnpicklingError('global %s.%s not allowed' % (module, name))
            return pickle._Unpickler.find_class(self, module, name)

    return [('c', C), ('python', P)]


def verdicts(data):
    """[C unpickler's, pure-Python unpickler's] verdict: ('ok', canonical) or ('refused', why)."""
    results = []
    for _, cls in restricted_loaders():
        try:
            results.append(('ok', canon(cls(io.BytesIO(data), encoding='latin1').load())))
        except Exception as e:  # any exception is Python refusing the input
            results.append(('refused', '%s: %s' % (type(e).__name__, str(e)[:120])))
    return results


def verdict(data):
    """('ok', canonical) when both unpicklers read `data` to the same value, else ('refused',
    why). CPython's two unpicklers differ on frames: the C one (what pickle.loads runs) lets an
    argument straddle the end of a FRAME, which pickletools documents as invalid and the
    pure-Python one refuses; before CPython 3.14 the pure-Python one accepts a FRAME longer
    than the data, which the C one refuses. Refused by either counts as refused."""
    c, pure = verdicts(data)
    if c[0] == 'ok' and c == pure:
        return c
    if c[0] == 'ok' and pure[0] == 'ok':
        raise AssertionError('the unpicklers read different values: %r %r' % (c, pure))
    return c if c[0] == 'refused' else ('refused', 'pure-Python ' + pure[1])


def q64(n):
    return struct.pack('<Q', n)


REFUSED = [
    ('PROTO 99', b'\x80\x63N.'),
    ('PROTO 6', b'\x80\x06N.'),
    ('FRAME longer than the data', b'\x80\x04\x95' + q64(100) + b'N.'),
    ('FRAME above sys.maxsize', b'\x80\x04\x95' + q64(2 ** 63) + b'N.'),
    ('an argument running past the end of its FRAME', b'\x80\x04\x95' + q64(3) + b'J\x01\x00\x00\x00.'),
    ('a text line running past the end of its FRAME', b'\x80\x04\x95' + q64(2) + b'I1\n.'),
    ('a FRAME before the end of the current one', b'\x80\x04\x95' + q64(12) + b'\x95' + q64(2) + b'N.N.'),
    ('a dict with a list key (DICT)', b'(]Nd.'),
    ('a dict with a dict key (SETITEM)', b'}}Ns.'),
    ('a dict key that is a tuple holding a list', b'}(]tNs.'),
    ('a set of lists', b'c__builtin__\nset\n((]]ltR.'),
    ('ADDITEMS of an unhashable item', b'\x80\x04\x8f(]\x90.'),
    ('APPEND to a tuple', b')Na.'),
    ('APPENDS to a dict', b'}(Ne.'),
    ('SETITEMS on a list', b'](NNu.'),
    ('SETITEMS with an odd number of items', b'}(NNNu.'),
    ('DICT with an odd number of items', b'(Nd.'),
    ('APPEND with the list below the MARK', b'](Na.'),
    ('STOP on an empty stack', b'.'),
    ('LIST without a MARK', b'Nl.'),
    ('POP_MARK without a MARK', b'1.'),
    ('DUP on an empty stack', b'2.'),
    ('TUPLE3 with two items', b'NN\x87.'),
    ('MEMOIZE on an empty stack', b'\x80\x04\x94.'),
    ('PUT on an empty stack', b'p0\n.'),
    ('GET of a missing memo entry', b'g0\n.'),
    ('BINGET of a missing memo entry', b'h\x05.'),
    ('GET with a non-integer index', b'gx\n.'),
    ('PUT with a negative index', b'Np-1\n.'),
    ('INT abc', b'Iabc\n.'),
    ('INT 1.5', b'I1.5\n.'),
    ('INT with 5000 digits (Python limits 4300)', b'I' + b'9' * 5000 + b'\n.'),
    ('LONG xyz', b'Lxyz\n.'),
    ('FLOAT abc', b'Fabc\n.'),
    ('STRING unquoted', b'Sabc\n.'),
    ('STRING with mismatched quotes', b'S\'abc"\n.'),
    ('STRING with a short \\x escape', b"S'\\x4'\n."),
    ('STRING ending in a backslash', b"S'\\'\n."),
    ('UNICODE with a short \\u escape', b'V\\u12\n.'),
    ('UNICODE with \\U beyond U+10FFFF', b'V\\U00110000\n.'),
    ('BINUNICODE that is not UTF-8', b'X\x01\x00\x00\x00\xff.'),
    ('LONG4 with a negative byte count', b'\x8b\xff\xff\xff\xff.'),
    ('BINSTRING with a negative byte count', b'T\xff\xff\xff\xff.'),
    ('an unknown opcode', b'\xff.'),
    ('empty input', b''),
    ('no STOP', b'(lp0\nI1\na'),
    ('BINUNICODE longer than the data', b'X\xff\xff\xff\x7fab.'),
    ('STACK_GLOBAL with ints', b'K\x01K\x02\x93.'),
    ('EXT1 of an unregistered code', b'\x82\x01.'),
    ('a persistent id', b'P1\n.'),
    ('BUILD on a list', b']}b.'),
    ('REDUCE on None', b'N)R.'),
    ('a numpy dtype state of version 67', b"cnumpy\ndtype\n(S'i8'\nI0\nI1\ntR(I67\nS'<'\nNNNI-1\nI-1\nI0\ntb."),
    ('a global outside the allowed list', b'cos\nsystem\n(S\'true\'\ntR.'),
]

ACCEPTED = [
    ('a recursive tuple pickled with POP (Python 2 protocol 0)', b'((lp0\n(g0\ntp1\na00g1\n.'),
    ('bytes after STOP', b'N.garbage'),
    ('items left on the stack at STOP', b'NN.'),
    ('an open MARK at STOP', b'(N.'),
    ('INT 01 and 00 are booleans', b'(I01\nI00\nI7\nl.'),
    ('INT beyond 2^53', b'I99999999999999999999\n.'),
    ('LONG without a trailing L', b'L5\n.'),
    ('FLOAT nan, -inf, 1e+300, .5', b'(Fnan\nF-inf\nF1e+300\nF.5\nl.'),
    ('STRING escapes', b"(S'\\x41\\n\\101\\'\\q'\nS\"it's\"\nl."),
    ('UNICODE escapes, even backslash runs stay literal', b'(V\\u00e9\\U0001f600\nV\\\\u1234\nVa\\b\nl.'),
    ('BINUNICODE with an encoded surrogate (surrogatepass)', b'X\x03\x00\x00\x00\xed\xa0\x80.'),
    ('an argument starting at the end of its FRAME', b'\x80\x04\x95' + q64(1) + b'K\x01.'),
    ('a frame ending exactly before STOP', b'\x80\x04\x95' + q64(2) + b'K\x01.'),
    ('a FRAME as the last opcode of the previous frame', b'\x80\x04\x95' + q64(9) + b'\x95' + q64(2) + b'N.'),
    ('PROTO in the middle', b'N\x80\x02.'),
    ('PROTO 0 and 5', b'\x80\x00\x80\x05N.'),
    ('a dict with tuple, bytes and frozenset keys', b'\x80\x04}(K\x01K\x02\x86NC\x02abK\x03(K\x01\x91K\x04u.'),
    ('an empty DICT and an empty TUPLE', b'((dt.'),
    ('a set built with EMPTY_SET and ADDITEMS', b'\x80\x04\x8f(K\x01K\x02K\x01\x90.'),
    ('SETITEMS overwriting a key', b'}(K\x01K\x02K\x01K\x03u.'),
    ('a memoised list in a list twice', b'(]p0\ng0\nl.'),
    ('a list holding itself', b']p0\n(g0\nK\x01e.'),
]


def py3(out):
    import numpy as np
    expected, ops = {}, {}
    for proto in range(0, 6):
        write(out, 'py3-p%d' % proto, pickle.dumps(fixture_value() + [b'\x00bytes\xff'], proto), expected, ops)
    scalars = [np.int64(1), np.int64(200), np.int32(-3), np.uint8(255), np.float32(0.5), np.float64(2.25), np.bool_(True)]
    for proto in (0, 2):
        write(out, 'py3-numpy-p%d' % proto, pickle.dumps(scalars, proto), expected, ops)
    corpus = {'refused': [], 'accepted': []}
    for name, data in REFUSED:
        v = verdict(data)
        assert v[0] == 'refused', (name, v)
        corpus['refused'].append({'name': name, 'hex': hexbytes(data), 'python': v[1]})
    for name, data in ACCEPTED:
        v = verdict(data)
        assert v[0] == 'ok', (name, v)
        corpus['accepted'].append({'name': name, 'hex': hexbytes(data), 'value': v[1]})
    merge_json(os.path.join(out, 'expected.json'), expected)
    merge_json(os.path.join(out, 'ops.json'), ops)
    with open(os.path.join(out, 'corpus.json'), 'w') as f:
        json.dump(corpus, f, indent=1)
        f.write('\n')


def isolated_verdict(data):
    """verdict() in a forked child: a mutated pickle can make CPython allocate without bound
    (2 GB of address space turn that into MemoryError, a refusal) or even crash the
    interpreter (numpy's dtype state and pickle.py's bytearray paths did: 'munmap_chunk():
    invalid pointer'); a child that dies counts as CPython failing to read the file."""
    import resource
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        try:
            out = json.dumps(verdict(data)).encode()
        except BaseException as e:  # noqa: BLE001 - any failure is a refusal
            out = json.dumps(['refused', repr(e)[:120]]).encode()
        os.write(w, out)
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not chunks:
        return ['refused', 'the interpreter died (status %d)' % status]
    return json.loads(b''.join(chunks))


def oracle(folder):
    """Verdicts for the fuzz test's mutated files (see scripts/pickle_fuzz_oracle.ts)."""
    import hashlib
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), 'rb') as f:
            v = isolated_verdict(f.read())
        if v[0] == 'ok':
            out[name] = hashlib.sha256(json.dumps(v[1], sort_keys=True).encode()).hexdigest()[:16]
        else:
            out[name] = v[0]
    json.dump(out, sys.stdout, indent=0, sort_keys=True)


if __name__ == '__main__':
    mode, path = sys.argv[1], sys.argv[2]
    if mode == 'py2':
        py2(path)
    elif mode == 'py3':
        py3(path)
    elif mode == 'oracle':
        oracle(path)
    else:
        raise SystemExit('usage: pickle_fixtures.py py2|py3|oracle PATH')
