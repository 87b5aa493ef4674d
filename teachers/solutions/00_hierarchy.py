"Reference answers to the checked exercises of 00_hierarchy (teachers only; not part of the package)."
import torch

def lca_level(hier, i, j):
    if i == j: return 0
    if hier.fine2coarse[i] == hier.fine2coarse[j]: return 1
    if hier.fine2group[i] == hier.fine2group[j]: return 2
    return 3

def severity_from_lca(hier, w):
    return torch.tensor((0.,) + tuple(w))[hier.lca]

# typical wrong answers
def _lca_no_group(hier, i, j):
    if i == j: return 0
    return 1 if hier.fine2coarse[i] == hier.fine2coarse[j] else 3

def _lca_swapped(hier, i, j):
    if i == j: return 0
    if hier.fine2group[i] == hier.fine2group[j]: return 1     # tests the group before the superclass
    return 3 if hier.fine2coarse[i] != hier.fine2coarse[j] else 2


def _sev_ones_diag(hier, w): return torch.tensor((0.,) + tuple(w))[hier.lca] + torch.eye(hier.n_fine)

def _sev_asym(hier, w):
    S = torch.tensor((0.,) + tuple(w))[hier.lca]
    return S.triu()

def _sev_shift(hier, w): return torch.tensor((0.,) + tuple(w)[::-1])[hier.lca]

RIGHT = {'00.lca_level': lca_level, '00.severity_from_lca': severity_from_lca}
WRONG = {
    '00.lca_level': [(_lca_no_group, "different superclasses of the group"),
                     (_lca_swapped, "levels are 0 (same class)")],
    '00.severity_from_lca': [(_sev_ones_diag, "a right answer (the diagonal) costs nothing"),
                             (_sev_asym, "your matrix is not symmetric: S[0, 1] = 1 but S[1, 0] = 0"),
                             (_sev_shift, "which of the three weights belongs to that LCA level")],
}
