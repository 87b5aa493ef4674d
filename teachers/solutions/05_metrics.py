"Reference answers to the checked exercises of 05_metrics (teachers only; not part of the package)."
import torch

def level_accuracies(pred, target, hier):
    p, t = hier.labels(pred), hier.labels(target)
    return {l: (p[l] == t[l]).float().mean().item() for l in ('fine', 'coarse', 'group')}

def mean_mistake_severity(pred, target, S):
    wrong = pred != target
    return S[target, pred][wrong].mean().item() if wrong.any() else 0.

def crm(fine_logits, S):
    return (fine_logits.softmax(-1) @ S).argmin(-1)

# typical wrong answers
def _la_coarse_wrong(pred, target, hier):   # compares the superclass of the prediction with the fine label
    acc = lambda a, b: (a == b).float().mean().item()
    return {'fine': acc(pred, target), 'coarse': acc(hier.fine2coarse[pred], target),
            'group': acc(hier.fine2group[pred], hier.fine2group[target])}
def _la_counts(pred, target, hier):
    p, t = hier.labels(pred), hier.labels(target)
    return {l: (p[l] == t[l]).sum().item() for l in ('fine', 'coarse', 'group')}
def _la_group_is_coarse(pred, target, hier):
    p, t = hier.labels(pred), hier.labels(target)
    acc = lambda l: (p[l] == t[l]).float().mean().item()
    return {'fine': acc('fine'), 'coarse': acc('coarse'), 'group': acc('coarse')}

def _ms_all(pred, target, S): return S[target, pred].mean().item()
def _ms_transposed(pred, target, S):
    wrong = pred != target
    return S[pred, target][wrong].mean().item() if wrong.any() else 0.
def _ms_nan(pred, target, S): return S[target, pred][pred != target].mean().item()

def _crm_argmax(z, S): return z.argmax(-1)
def _crm_max(z, S): return (z.softmax(-1) @ S).argmax(-1)
def _crm_logits(z, S): return (z @ S).argmin(-1)
def _crm_transposed(z, S): return (z.softmax(-1) @ S.T).argmin(-1)

RIGHT = {'05.level_accuracy': level_accuracies, '05.mistake_severity': mean_mistake_severity, '05.crm': crm}
WRONG = {
    '05.level_accuracy': [(_la_coarse_wrong, "is below the 'fine' accuracy"), (_la_counts, "counts or percentages"),
                          (_la_group_is_coarse, "'group' accuracy")],
    '05.mistake_severity': [(_ms_all, "only the 4 mistakes count"), (_ms_transposed, "you read S[prediction, label]"),
                            (_ms_nan, "there is no mistake to average")],
    '05.crm': [(_crm_argmax, "the most likely class"), (_crm_max, "highest expected severity"),
               (_crm_logits, "weighted the severities by the logits"), (_crm_transposed, "you read S[j, y]")],
}
