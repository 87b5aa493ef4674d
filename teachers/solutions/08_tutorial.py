"Reference answers to the checked exercises of 08_tutorial (teachers only; not part of the package)."

def severities(counts, weights):
    cost = sum(c * w for c, w in zip(counts[1:], weights))
    wrong = sum(counts[1:])
    return cost / sum(counts), (cost / wrong if wrong else 0.)

def chance_severity(hier, weights):
    return hier.severity(*weights).mean().item()

# typical wrong answers
def _sv_swapped(counts, weights): return severities(counts, weights)[::-1]
def _sv_all(counts, weights):
    cost = sum(c * w for c, w in zip(counts[1:], weights))
    return cost / sum(counts), cost / sum(counts)
def _sv_nan(counts, weights):
    cost = sum(c * w for c, w in zip(counts[1:], weights))
    return cost / sum(counts), cost / sum(counts[1:]) if sum(counts[1:]) else float('nan')
def _cs_offdiag(hier, weights):
    n = hier.n_fine
    return hier.severity(*weights).sum().item() / (n * (n - 1))
def _cs_levels(hier, weights): return sum(weights) / 3

RIGHT = {'08.severities': severities, '08.chance_severity': chance_severity}
WRONG = {
    '08.severities': [(_sv_swapped, "averages over the mistakes only"), (_sv_all, "only the 4 mistakes count"),
                      (_sv_nan, "there is no mistake: return 0.")],
    '08.chance_severity': [(_cs_offdiag, "you averaged over the wrong answers only"),
                           (_cs_levels, "every (label, answer) pair")],
}
