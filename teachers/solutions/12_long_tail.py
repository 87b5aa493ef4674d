"Reference answers to the checked exercises of 12_long_tail (for teachers; not shown to students)."
import torch

def lt_counts(n_max, n_classes, imbalance):
    "n_max · ρ^(−i/(C−1)) images for class rank i, floored."
    i = torch.arange(n_classes, dtype=torch.float64)
    return (n_max * imbalance ** (-i / (n_classes - 1))).floor().long()

def cb_weights(counts, beta):
    "(1 − β)/(1 − β^n) per class, normalised to sum to the number of classes."
    n = torch.as_tensor(counts, dtype=torch.float64)
    w = (1 - beta) / (1 - beta ** n)
    return (w / w.sum() * len(n)).float()

def _by_c(n_max, C, rho):
    i = torch.arange(C, dtype=torch.float64)
    return (n_max * rho ** (-i / C)).floor().long()

def _rounded(n_max, C, rho):
    i = torch.arange(C, dtype=torch.float64)
    return (n_max * rho ** (-i / (C - 1))).round().long()

def _floats(n_max, C, rho):
    i = torch.arange(C, dtype=torch.float64)
    return n_max * rho ** (-i / (C - 1))

def _effective(counts, beta):   # the effective number itself, not its inverse
    n = torch.as_tensor(counts, dtype=torch.float64)
    w = (1 - beta ** n) / (1 - beta)
    return (w / w.sum() * len(n)).float()

RIGHT = {'12.lt_counts': lt_counts, '12.cb_weights': cb_weights}
WRONG = {'12.lt_counts': [(_by_c, 'divide its rank by C − 1'), (_rounded, 'floor, not round'), (_floats, 'gave floats')],
         '12.cb_weights': [(lambda c, b: ((1 - b) / (1 - b ** torch.as_tensor(c, dtype=torch.float64))).float(), 'sum to the number'),
                           (_effective, 'rare classes should weigh more')]}
