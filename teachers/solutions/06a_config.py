"Reference answers to the checked exercises of 06a_config (for teachers; not shown to students)."
import dataclasses, math
from hiercifar.config import Config

def check_bs(bs):
    "A batch size: a whole number ≥ 1 (an int, or a float such as 64.0), returned as an int; else one ValueError."
    ok = isinstance(bs, (int, float)) and not isinstance(bs, bool) and math.isfinite(bs) and float(bs).is_integer() and bs >= 1
    if not ok: raise ValueError(f"bs (batch size) must be a whole number ≥ 1, got {bs!r}")
    return int(bs)

def config_from_dict(d):
    "A Config from a saved config.json's dict; unknown settings are refused by name."
    known = {f.name for f in dataclasses.fields(Config)}
    unknown = [k for k in d if k not in known]
    if unknown: raise ValueError(f"unknown setting(s) {', '.join(map(repr, unknown))}; the settings are: {', '.join(sorted(known))}")
    return Config(**d)

# typical wrong answers
def _bool_ok(bs):
    if not isinstance(bs, (int, float)) or not math.isfinite(bs) or not float(bs).is_integer() or bs < 1:
        raise ValueError(f"bs must be a whole number ≥ 1, got {bs!r}")
    return int(bs)

def _int_cast(bs):
    if isinstance(bs, bool) or not isinstance(bs, (int, float)) or int(bs) != bs or bs < 1:   # int(nan), int(inf) raise
        raise ValueError(f"bs must be a whole number ≥ 1, got {bs!r}")
    return int(bs)

def _vague(bs):
    ok = isinstance(bs, (int, float)) and not isinstance(bs, bool) and math.isfinite(bs) and float(bs).is_integer() and bs >= 1
    if not ok: raise ValueError("invalid batch size")
    return int(bs)

def _float_back(bs):
    ok = isinstance(bs, (int, float)) and not isinstance(bs, bool) and math.isfinite(bs) and float(bs).is_integer() and bs >= 1
    if not ok: raise ValueError(f"bs must be a whole number ≥ 1, got {bs!r}")
    return bs

def _drops_unknown(d):
    known = {f.name for f in dataclasses.fields(Config)}
    return Config(**{k: v for k, v in d.items() if k in known})

def _first_only(d):
    known = {f.name for f in dataclasses.fields(Config)}
    for k in d:
        if k not in known: raise ValueError(f"unknown setting {k!r}")
    return Config(**d)

def _catch_all(d):
    try: return Config(**d)
    except (TypeError, ValueError): return Config()

RIGHT = {'06a.check_bs': check_bs, '06a.config_from_dict': config_from_dict}
WRONG = {'06a.check_bs': [(_bool_ok, "True is an int in Python"), (_int_cast, "raised OverflowError (cannot convert"),
                          (_vague, "the message should name bs"), (_float_back, "return the batch size as an int")],
         '06a.config_from_dict': [(lambda d: Config(**d), "raised TypeError"), (_drops_unknown, "dropping it trains with the default"),
                                  (_first_only, "name every unknown setting"), (_catch_all, "is not a setting")]}
