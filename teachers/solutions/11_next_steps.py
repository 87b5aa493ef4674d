"Reference answers to the checked exercises of 11_next_steps (for teachers; not shown to students)."
import torch

def _ranks(x):
    "Ranks 1 … n, ties sharing the mean of the ranks they cover."
    x = x.double(); order = x.argsort(); r = torch.empty_like(x)
    r[order] = torch.arange(1, len(x) + 1, dtype=torch.float64)
    for v in x.unique():
        m = x == v; r[m] = r[m].mean()
    return r

def spearman(a, b):
    "Pearson correlation of the ranks."
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()))

def severity_from_confusions(C, lo=1., hi=3.):
    "−log of the symmetrised confusion, off-diagonal entries scaled into [lo, hi], zero diagonal."
    D = -torch.log((C + C.T).double() / 2 + 1e-4)
    off = ~torch.eye(len(C), dtype=torch.bool)
    S = lo + (hi - lo) * (D - D[off].min()) / (D[off].max() - D[off].min())
    return S.fill_diagonal_(0).float()

def _pearson(a, b):
    a, b = a.double() - a.double().mean(), b.double() - b.double().mean()
    return float((a * b).sum() / (a.norm() * b.norm()))

def _ordinal(a, b):
    ra, rb = a.double().argsort().argsort().double(), b.double().argsort().argsort().double()
    return _pearson(ra, rb)

def _one_sided(C, lo=1., hi=3.):
    D = -torch.log(C.double() + 1e-4)
    off = ~torch.eye(len(C), dtype=torch.bool)
    return (lo + (hi - lo) * (D - D[off].min()) / (D[off].max() - D[off].min())).fill_diagonal_(0).float()

def _unscaled(C, lo=1., hi=3.): return (-torch.log((C + C.T) / 2 + 1e-4)).fill_diagonal_(0)

def _similar(C, lo=1., hi=3.):   # confused pairs cost most: the order turned round
    D = (C + C.T).double()
    off = ~torch.eye(len(C), dtype=torch.bool)
    return (lo + (hi - lo) * (D - D[off].min()) / (D[off].max() - D[off].min())).fill_diagonal_(0).float()

RIGHT = {'11.spearman': spearman, '11.confusion_severity': severity_from_confusions}
WRONG = {'11.spearman': [(_pearson, 'correlate the ranks'), (_ordinal, 'tied values share the mean')],
         '11.confusion_severity': [(_one_sided, 'not symmetric'), (_unscaled, 'scale them into [lo, hi]'),
                                   (_similar, 'a frequent confusion should be a mild mistake'),
                                   (lambda C, lo, hi: severity_from_confusions(C, lo, hi).fill_diagonal_(1.), 'diagonal should be 0')]}
