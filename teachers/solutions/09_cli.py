"Reference answers to the checked exercises of 09_cli (for teachers; not shown to students)."

def parse_weights(text, n=3):
    "'1,2,5' → (1.0, 2.0, 5.0); anything but n comma-separated numbers: one ValueError quoting the text."
    try: v = tuple(float(x) for x in str(text).split(','))
    except ValueError: raise ValueError(f"expected {n} comma-separated numbers, got {text!r}") from None
    if len(v) != n: raise ValueError(f"expected {n} comma-separated numbers, got {len(v)}: {text!r}")
    return v

def grid_argv(splits, losses, seeds, grid=None):
    "The words (argv) for hiercifar-experiments running this grid."
    argv = ['--splits', ','.join(map(str, splits)), '--losses', ','.join(losses), '--seeds', ','.join(map(str, seeds))]
    if grid: argv += ['--grid', ';'.join(f"{k}={','.join(map(str, v))}" for k, v in grid.items())]
    return argv

# typical wrong answers
def _no_count(text, n=3):
    try: return tuple(float(x) for x in str(text).split(','))
    except ValueError: raise ValueError(f"expected {n} comma-separated numbers, got {text!r}") from None

def _raw_error(text, n=3):
    v = tuple(float(x) for x in text.split(','))       # float('two'): "could not convert string to float: 'two'"
    if len(v) != n: raise ValueError(f"expected {n} numbers, got {text!r}")
    return v

def _strings(text, n=3): return tuple(x.strip() for x in text.split(','))

def _one_string(splits, losses, seeds, grid=None): return ' '.join(grid_argv(splits, losses, seeds, grid))

def _words(splits, losses, seeds, grid=None):
    return ['--splits', *map(str, splits), '--losses', *losses, '--seeds', *map(str, seeds)]

def _comma_axes(splits, losses, seeds, grid=None):
    argv = grid_argv(splits, losses, seeds)
    if grid: argv += ['--grid', ','.join(f"{k}={','.join(map(str, v))}" for k, v in grid.items())]
    return argv

def _empty_grid(splits, losses, seeds, grid=None):
    return grid_argv(splits, losses, seeds, grid) + ([] if grid else ['--grid', 'none'])

RIGHT = {'09.parse_weights': parse_weights, '09.grid_argv': grid_argv}
WRONG = {'09.parse_weights': [(_no_count, "instead of raising ValueError"), (_raw_error, "quote the text"),
                              (_strings, "return a tuple of floats")],
         '09.grid_argv': [(_one_string, "you returned one string"), (_words, "hiercifar-experiments refuses"),
                          (_comma_axes, "reads back as"), (_empty_grid, "with no grid, leave --grid out")]}
