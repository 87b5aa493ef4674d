"Reference answers to the checked exercises of 00b_severity (teachers only; not part of the package)."
import torch

def validate_severity(S, n):
    S = torch.as_tensor(S, dtype=torch.float32)
    if S.shape != (n, n): raise ValueError(f"a severity matrix must have shape ({n}, {n}), got {tuple(S.shape)}")
    if not torch.isfinite(S).all() or (S < 0).any(): raise ValueError("severity entries must be finite and non-negative")
    if S.diagonal().abs().max() > 0: raise ValueError("a severity matrix must be zero on the diagonal")
    return S

def to_severity(D, lo=1., hi=3.):
    D = torch.as_tensor(D, dtype=torch.float64)
    D = (D + D.T) / 2
    off = ~torch.eye(len(D), dtype=torch.bool)
    dmin, dmax = D[off].min(), D[off].max()
    S = lo + (hi - lo) * (D - dmin) / (dmax - dmin) if dmax > dmin else torch.full_like(D, (lo + hi) / 2)
    return S.fill_diagonal_(0).float()

# typical wrong answers
def _misses_nan(S, n):
    S = torch.as_tensor(S, dtype=torch.float32)
    if S.shape != (n, n): raise ValueError(f"shape must be ({n}, {n})")
    if (S < 0).any(): raise ValueError("negative entry")          # nan < 0 is False
    if S.diagonal().abs().max() > 0: raise ValueError("non-zero diagonal")
    return S

def _assert_based(S, n):
    S = torch.as_tensor(S, dtype=torch.float32)
    assert S.shape == (n, n) and torch.isfinite(S).all() and (S >= 0).all() and (S.diagonal() == 0).all()
    return S

def _no_diag_check(S, n):
    S = torch.as_tensor(S, dtype=torch.float32)
    if S.shape != (n, n) or not torch.isfinite(S).all() or (S < 0).any(): raise ValueError("bad matrix")
    return S

def _not_symmetrised(D, lo=1., hi=3.):
    D = torch.as_tensor(D, dtype=torch.float64)
    off = ~torch.eye(len(D), dtype=torch.bool)
    dmin, dmax = D[off].min(), D[off].max()
    return (lo + (hi - lo) * (D - dmin) / (dmax - dmin)).fill_diagonal_(0)

def _diag_in_range(D, lo=1., hi=3.):
    D = torch.as_tensor(D, dtype=torch.float64)
    D = (D + D.T) / 2
    S = lo + (hi - lo) * (D - D.min()) / (D.max() - D.min())
    return S.fill_diagonal_(0)

def _no_equal_case(D, lo=1., hi=3.):
    D = torch.as_tensor(D, dtype=torch.float64)
    D = (D + D.T) / 2
    off = ~torch.eye(len(D), dtype=torch.bool)
    dmin, dmax = D[off].min(), D[off].max()
    return (lo + (hi - lo) * (D - dmin) / (dmax - dmin)).fill_diagonal_(0)

def _max_symmetrised(D, lo=1., hi=3.):
    D = torch.as_tensor(D, dtype=torch.float64)
    D = torch.maximum(D, D.T)
    off = ~torch.eye(len(D), dtype=torch.bool)
    dmin, dmax = D[off].min(), D[off].max()
    S = lo + (hi - lo) * (D - dmin) / (dmax - dmin) if dmax > dmin else torch.full_like(D, (lo + hi) / 2)
    return S.fill_diagonal_(0)

def _flag(S, n):
    validate_severity(S, n)
    return True                                                   # a yes/no instead of the checked matrix

RIGHT = {'00b.validate_severity': validate_severity, '00b.to_severity': to_severity}
WRONG = {
    '00b.validate_severity': [(_misses_nan, "nan compares False with everything"),
                              (_assert_based, "raised AssertionError"),
                              (_no_diag_check, "a right answer (the diagonal) costs nothing"),
                              (_flag, "return the matrix itself as a float tensor")],
    '00b.to_severity': [(_not_symmetrised, "your matrix is not symmetric: S[0, 1] ="),
                        (_diag_in_range, "your mistakes cost from"),
                        (_no_equal_case, "when all dissimilarities are equal"),
                        (_max_symmetrised, "is off: between the least and the most dissimilar pair")],
}
