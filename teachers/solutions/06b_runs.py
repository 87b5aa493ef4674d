"Reference answers to the checked exercises of 06b_runs (for teachers; not shown to students)."
import json, os, tempfile
from pathlib import Path

def atomic_write(path, data):
    "Write `data` (bytes) to `path` through a temporary file in the same folder, then replace `path` in one step."
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f: f.write(data); f.flush(); os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True); raise

def run_decision(folder, cfg):
    "'new', 'resume' or 'finished' for this run's settings `cfg`; a ValueError if `folder` holds a run with other settings."
    folder = Path(folder)
    if not (folder/'config.json').exists(): return 'new'
    saved = json.loads((folder/'config.json').read_text())
    diff = [k for k in dict.fromkeys([*saved, *cfg]) if saved.get(k) != cfg.get(k)]
    if diff: raise ValueError(f"{folder} holds a run with other settings ({', '.join(f'{k} {saved.get(k)!r} → {cfg.get(k)!r}' for k in diff)})")
    if (folder/'metrics.json').exists(): return 'finished'
    return 'resume' if (folder/'checkpoint.pt').exists() else 'new'

# typical wrong answers
def _in_place(path, data): Path(path).write_bytes(data)

def _tmp_elsewhere(path, data):
    fd, tmp = tempfile.mkstemp(suffix='.tmp')           # in /tmp: another file system, perhaps
    with os.fdopen(fd, 'wb') as f: f.write(data)
    os.replace(tmp, path)

def _leaves_tmp(path, data):
    path = Path(path); tmp = path.with_name(path.name + '.tmp')
    tmp.write_bytes(data)
    os.replace(tmp, path)

def _swallows(path, data):
    path = Path(path); tmp = path.with_name(path.name + '.tmp')
    tmp.write_bytes(data)
    try: os.replace(tmp, path)
    except OSError: tmp.unlink()

def _resume_always(folder, cfg):
    folder = Path(folder)
    if not (folder/'config.json').exists(): return 'new'
    return 'finished' if (folder/'metrics.json').exists() else 'resume'

def _checkpoint_first(folder, cfg):
    folder = Path(folder)
    if not (folder/'config.json').exists(): return 'new'
    if json.loads((folder/'config.json').read_text()) != cfg: raise ValueError(f"other settings in {folder}")
    if (folder/'checkpoint.pt').exists(): return 'resume'
    return 'finished' if (folder/'metrics.json').exists() else 'new'

def _text_compare(folder, cfg):
    folder = Path(folder)
    if not (folder/'config.json').exists(): return 'new'
    if (folder/'config.json').read_text() != json.dumps(cfg): raise ValueError(f"{folder}: the settings differ")
    if (folder/'metrics.json').exists(): return 'finished'
    return 'resume' if (folder/'checkpoint.pt').exists() else 'new'

def _no_compare(folder, cfg):
    folder = Path(folder)
    if (folder/'metrics.json').exists(): return 'finished'
    return 'resume' if (folder/'checkpoint.pt').exists() else 'new'

def _vague(folder, cfg):
    folder = Path(folder)
    if not (folder/'config.json').exists(): return 'new'
    if json.loads((folder/'config.json').read_text()) != cfg: raise ValueError("this folder holds another run")
    if (folder/'metrics.json').exists(): return 'finished'
    return 'resume' if (folder/'checkpoint.pt').exists() else 'new'

RIGHT = {'06b.atomic_write': atomic_write, '06b.run_decision': run_decision}
WRONG = {'06b.atomic_write': [(_in_place, "you write into path itself"), (_tmp_elsewhere, "not in path's folder"),
                              (_leaves_tmp, "was left behind"), (_swallows, "your function raised nothing")],
         '06b.run_decision': [(_resume_always, "there is no checkpoint to resume"),
                            (_checkpoint_first, "the run is finished, training it again"),
                            (_text_compare, "compare settings, not text"),
                            (_no_compare, "it holds another run"), (_vague, "name the setting that differs")]}
