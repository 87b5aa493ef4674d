"Reference answers to the checked exercises of 07_widgets (for teachers; not shown to students)."
import torch

def expected_severity(probs, S):
    "R[n, j] = Σ_i p[n, i] · S[i, j]: the expected cost of answering j (S[i, j]: truth i, answer j)."
    return probs @ S

def crm(probs, S):
    "The answer of least expected severity, per row."
    return (probs @ S).argmin(-1)

RIGHT = {'07.risk': expected_severity, '07.crm': crm}
WRONG = {'07.risk': [(lambda p, S: p @ S.T, 'uses S[j, i]'), (lambda p, S: 1 - p, 'the expected cost of answering j'),
                     (lambda p, S: (p @ S)[0], 'of shape (2, 4)')],
         '07.crm': [(lambda p, S: p.argmax(-1), 'the most likely'), (lambda p, S: (p @ S).argmax(-1), 'largest expected cost'),
                    (lambda p, S: (p @ S).argmin(-1).float(), 'not floats')]}
