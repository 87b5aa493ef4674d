"""Check the processed docs input (_proc/, written by `nbdev_proc_nbs`) page by page, as a reader of the rendered
site would see it. Quarto cannot run here, so each check is on what Quarto is given: the processed notebooks and
the configuration. Run after `nbdev_proc_nbs`; prints one line per problem and exits 1 if there is any.

Per page: every notebook was processed; links between pages resolve; no Colab badge stands alone in its paragraph
(Quarto would make it a centred figure captioned "Open In Colab"); no link is written around a name nbdev links
again (raw Markdown on the page), neither in text nor in a signature's code block; every documented object has a
docstring; no import cell of test helpers is shown; the tutorial's flagged cells say so in a line the page shows;
every widget's static snapshot shows its controls. Site-wide: "View source" links point into nbs/, navbar targets
exist, no code-fold toggle, and output images are scaled to the text column by styles.css.

Readability at the column width (issue 27), each finding named by check, page and cell, with what to do:
  wide-figure     an output image shown wider than MAX_FIGURE_PX CSS px: scaled into the 750 px column, its labels
                  shrink below reading size;
  long-output     a printed line (stream, or text/plain shown as text) longer than OUTPUT_CHARS: styles.css wraps it,
                  but a wrapped table or repr loses its layout: print it to fit;
  hotlink         an http(s) image whose file the site itself serves from images/;
  visible-import  a shown cell importing nbdev (show_doc) or fastcore.test: a reader need not see it, mark it #| hide;
  dead-anchor     a link (nbdev's backtick links included) to an anchor the target page does not have;
  ambiguous-link  a bare backticked `train` (also a function): nbdev links it to train() although the sentence
                  often means the training split (write `train()` for the function; a generated index's name column is exempt);
  one-page-section  a sidebar section holding a single page (it repeats the page's name): list the page itself;
  long-code       a line of a Markdown code block that is not Python (a shell command, a folder layout) longer than
                  OUTPUT_CHARS: such blocks keep their lines (Python wraps, see styles.css), so a long one is cut at the
                  column's edge: break it (a shell line with a backslash, a comment on its own line).
Findings of a check on a page listed in .ci/docs_pending.txt (`CHECK PAGE` lines: notebook fixes still to come)
are printed as pending and do not fail; a listed pair without findings fails, so the list only shrinks.

    python .ci/check_docs.py            # CI: exit 1 on any finding not pending
    python .ci/check_docs.py --report   # every finding, pending ones included; exit 0"""
import base64, io, re, struct, sys
from pathlib import Path
import nbformat, yaml

root = Path(__file__).resolve().parents[1]
proc, nbs = root/'_proc', root/'nbs'
COLUMN_PX = 750           # the text column of the cosmo theme from 1,366 px up, the widest an image is shown whole (678 at 1,280)
# A figure is shown at its CSS width (the output's metadata width, else its pixel width) scaled into the column.
# At 1,200 px it is shown at 62 %: a label drawn at matplotlib's 10 pt (13.9 px at 100 dpi) reads at ~8.7 px, the
# least that is still legible; a wider figure must be redrawn (fewer images per row, larger fonts, a figure width
# that matches the column: 7.5 in at 100 dpi is 750 px, where 10 pt labels read at body size).
MAX_FIGURE_PX = 1200
# What fits on one output line: rendered with Quarto and measured in Chromium, a 1,280 px window gives a 678 px column
# whose code boxes hold 662 px of text; styles.css sets code and output in a 13 px monospace face, 0.6 em = 7.8 px a
# character: 84 characters (94 from 1,366 px up). 80 leaves a margin for another browser's font.
OUTPUT_CHARS = 80
PENDING = root/'.ci'/'docs_pending.txt'
CHECKS = ('wide-figure', 'long-output', 'hotlink', 'visible-import', 'dead-anchor', 'ambiguous-link', 'one-page-section',
          'long-code')
AMBIGUOUS = {'train'}     # names of the package that are also the words a sentence means otherwise

_re_para_badge = re.compile(r'^\s*\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*$')      # a linked image alone: a figure
_re_nested = re.compile(r"\[\[[^\]]*\]\([^)\s]*\)\]\(")                         # [[`x`](url)](url)
_re_fence = re.compile(r'```(?:python)?\n(.*?)```', re.S)
_re_any_fence = re.compile(r'^```\s*\{?\.?([\w+-]*)[^\n]*\n(.*?)^```', re.S | re.M)   # (language, body) of a Markdown code block

def paragraphs(md):
    "Markdown paragraphs outside code fences."
    return [p for p in re.split(r'\n\s*\n', re.sub(r'```.*?```', '', md, flags=re.S)) if p.strip()]

def visible_code(src):
    "The lines of a code cell that Quarto shows (it strips `#|` option lines)."
    return [l for l in src.splitlines() if not re.match(r'\s*#\s*\|', l)]


def md_outputs(c):
    for o in c.get('outputs', []):
        md = o.get('data', {}).get('text/markdown')
        if md: yield ''.join(md) if isinstance(md, list) else md

def html_outputs(c):
    for o in c.get('outputs', []):
        h = o.get('data', {}).get('text/html')
        if h: yield ''.join(h) if isinstance(h, list) else h

def png_size(b64):
    "(width, height) in pixels from a base64 PNG's IHDR header."
    head = base64.b64decode(''.join(b64)[:44])
    if head[:8] != b'\x89PNG\r\n\x1a\n' or head[12:16] != b'IHDR': raise ValueError('not a PNG')
    return struct.unpack('>II', head[16:24])

def shown_width(o):
    "The CSS width an image output is shown at: its metadata width (retina figures carry half their pixels), else its pixels."
    w = (o.get('metadata', {}).get('image/png') or {}).get('width')
    return int(w) if w else png_size(o['data']['image/png'])[0]

def _text(v): return ''.join(v) if isinstance(v, list) else (v or '')

def heading_ids(md):
    "The ids Pandoc gives the Markdown headings (auto_identifiers) and any explicit {#id}, outside code fences."
    ids = []
    for line in re.sub(r'```.*?```', '', md, flags=re.S).splitlines():
        m = re.match(r'#{1,6}\s+(.*?)\s*$', line)
        if not m: continue
        h = m.group(1)
        e = re.search(r'\{#([^\s}]+)[^}]*\}\s*$', h)
        if e: ids.append(e.group(1)); continue
        h = re.sub(r'\{[^}]*\}\s*$', '', h)
        h = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', h)         # links and images: their text
        h = re.sub(r'<[^>]+>', '', h)
        h = re.sub(r'[^\w\s.-]', '', h.replace('`', '').replace('*', '')).strip().lower()
        h = re.sub(r'\s+', '-', h)
        h = re.sub(r'^[^a-z]+', '', h)
        ids.append(h or 'section')
    return ids

def page_anchors(nb):
    "Every anchor a processed page has: headings of Markdown cells and Markdown outputs (show_doc), ids in HTML outputs."
    ids = []
    for c in nb.cells:
        if c.cell_type == 'markdown': ids += heading_ids(c.source)
        for o in c.get('outputs', []):
            d = o.get('data', {})
            if 'text/markdown' in d: ids += heading_ids(_text(d['text/markdown']))
            if 'text/html' in d: ids += re.findall(r'\sid="([^"]+)"', _text(d['text/html']))
    seen, out = {}, set()
    for i in ids:                                   # Pandoc numbers repeats: x, x-1, x-2
        n = seen.get(i, 0); out.add(i if n == 0 else f'{i}-{n}'); seen[i] = n + 1
    return out

def html_name(path, nb):
    "The page a processed notebook renders to: its front matter's output-file, else nbdev's name for it."
    for c in nb.cells[:2]:
        if c.cell_type == 'raw':
            m = re.search(r'^output-file:\s*(\S+)', c.source, re.M)
            if m: return m.group(1)
    return re.sub(r'^\d+[a-z]?_', '', path.stem) + '.html'

def directives(src):
    d = []
    for l in src.splitlines():
        m = re.match(r'\s*#\s*\|\s*([\w-]+)', l)
        if not m: break
        d.append(m.group(1))
    return d

def _hidden(src):
    "Quarto shows no code for cells marked echo: false or include: false (nbdev already dropped #| hide cells)."
    return bool(re.search(r'^\s*#\s*\|\s*(echo|include)\s*:\s*false', src, re.M)) or 'hide' in directives(src)

def _where(i, c):
    first = next((l.strip() for l in c.source.splitlines() if l.strip() and not re.match(r'\s*#\s*\|', l)), '')
    return f'cell {i} (id {c.get("id", "?")}: {first[:50]!r})'

_re_link = re.compile(r'\[([^\]]*)\]\(([^)\s]+)\)')
_re_img = re.compile(r'!\[[^\]]*\]\((https?://[^)\s]+)\)|<img[^>]*\ssrc="(https?://[^"]+)"')

def _sidebar_sections(items, path=()):
    for it in items or []:
        if isinstance(it, dict) and 'contents' in it:
            name = it.get('section', it.get('text', '?'))
            yield path + (name,), it['contents']
            yield from _sidebar_sections(it['contents'], path + (name,))

def findings(proc, site_url, syms=None):
    """The readability findings of a _proc-like folder: a list of (check, page, message). `site_url` is the site's
    address (nbdev's links are absolute); `syms` maps a symbol (`Hierarchy.flat`) to its _modidx entry, for messages."""
    proc, site_url, syms, out = Path(proc), site_url.rstrip('/') + '/', syms or {}, []
    pages = {p: nbformat.read(p, as_version=4) for p in sorted(proc.glob('*.ipynb'))}
    by_html = {html_name(p, nb): nb for p, nb in pages.items()}
    by_html.update({p.name: nb for p, nb in pages.items()})
    anchors = {}
    def has_anchor(page, a):
        if page not in anchors: anchors[page] = page_anchors(by_html[page])
        return a in anchors[page]
    local_images = {p.name for p in (proc/'images').glob('*')} if (proc/'images').exists() else set()
    for p, nb in pages.items():
        page = p.name
        for i, c in enumerate(nb.cells):
            where = _where(i, c)
            outs = c.get('outputs', [])
            texts = [(False, c.source)] if c.cell_type == 'markdown' else []
            texts += [(True, _text(o['data'][k])) for o in outs for k in ('text/markdown', 'text/html') if k in o.get('data', {})]
            for is_output, t in texts:
                for a, b in _re_img.findall(t):
                    url = a or b; name = url.rsplit('/', 1)[-1].split('?')[0]
                    if name in local_images:
                        out.append(('hotlink', page, f'{where}: image {url} is hot-linked; the site serves it: use images/{name}'))
                for lm in _re_link.finditer(t):
                    text, url = lm.groups()
                    if text.startswith('!'): continue
                    # the name column of a generated index (an output table row that begins with the link) names the function
                    name_cell = is_output and re.fullmatch(r'\|\s*', t[t.rfind('\n', 0, lm.start()) + 1:lm.start()])
                    target, _, anchor = url.partition('#')
                    if target.startswith(site_url): target = target[len(site_url):]
                    elif '://' in target or not target: target = target or page
                    if '://' in target or target not in by_html: continue
                    if anchor and not has_anchor(target, anchor):
                        sym = text.strip('`').removesuffix('()')
                        known = next((k for k in syms if k == sym or k.endswith('.' + sym)), None)
                        why = (f'{known} is in _modidx but {target} documents no such name: add show_doc({sym}) there, '
                               f'or write the name without backticks') if known else f'{target} has no heading #{anchor}'
                        out.append(('dead-anchor', page, f'{where}: link {text} -> {target}#{anchor}: {why}'))
                    if text.strip('`') in AMBIGUOUS and text.startswith('`') and not name_cell:
                        out.append(('ambiguous-link', page, f'{where}: {text} links to the function {text.strip("`")}(); '
                                    f'for the training split write "training split" or `data.train`, for the function `train()`'))
            if c.cell_type == 'markdown':
                for lang, body in _re_any_fence.findall(c.source):
                    if lang.lower() in ('python', 'py', 'python3'): continue
                    for line in body.expandtabs().splitlines():
                        if len(line) > OUTPUT_CHARS:
                            out.append(('long-code', page, f'{where}: a line of a {lang or "plain"} code block has {len(line)} '
                                        f'characters (the column shows {OUTPUT_CHARS}; such a block does not wrap): break it: {line[:60]!r}...'))
            if c.cell_type != 'code': continue
            if not _hidden(c.source) and re.search(r'^\s*(from\s+(nbdev|fastcore\.test)\b|import\s+nbdev\b)', c.source, re.M):
                out.append(('visible-import', page, f'{where}: a reader need not see this import: put it in its own cell '
                            f'marked #| hide'))
            for o in outs:
                d = o.get('data', {})
                if 'image/png' in d:
                    w = shown_width(o); pw, ph = png_size(d['image/png'])
                    if w > MAX_FIGURE_PX:
                        out.append(('wide-figure', page, f'{where}: a {w} px wide figure ({pw}x{ph} px PNG) is shown at '
                                    f'{COLUMN_PX / w:.0%} in the {COLUMN_PX} px column: labels become unreadable; draw it at most '
                                    f'{MAX_FIGURE_PX} px wide (fewer per row, larger fonts, figsize width ~{COLUMN_PX / 100:.1f} in)'))
                text = o.get('text') if o.get('output_type') == 'stream' else None
                if text is None and 'text/plain' in d and not ({'text/html', 'text/markdown', 'image/png', 'image/svg+xml'} & set(d)):
                    text = d['text/plain']
                if o.get('output_type') == 'error': text = '\n'.join(o.get('traceback', []))
                for n, line in enumerate(re.sub(r'\x1b\[[0-9;]*m', '', _text(text)).expandtabs().splitlines()):
                    if len(line) > OUTPUT_CHARS:
                        out.append(('long-output', page, f'{where}: output line {n + 1} has {len(line)} characters (the column '
                                    f'shows {OUTPUT_CHARS}): print it to fit: {line[:60]!r}...'))
    side = proc/'sidebar.yml'
    if side.exists():
        contents = (yaml.safe_load(side.read_text()) or {}).get('website', {}).get('sidebar', {}).get('contents', [])
        for path, items in _sidebar_sections(contents):
            if len(items) == 1:
                out.append(('one-page-section', 'sidebar.yml', f'section "{" › ".join(path)}" holds one page ({items[0]}): '
                            f'list the page itself instead of the section'))
    return out

def read_pending(path=PENDING):
    "The (check, page) pairs whose notebook fixes are still to come."
    if not Path(path).exists(): return set()
    pairs = set()
    for l in Path(path).read_text().splitlines():
        l = l.split('#', 1)[0].strip()
        if not l: continue
        check, page = l.split()
        if check not in CHECKS: raise SystemExit(f'{path}: unknown check {check!r} (one of {", ".join(CHECKS)})')
        pairs.add((check, page))
    return pairs

def judge(found, pending):
    "Split findings into failures and pending ones; a pending pair with no finding left is a failure (remove its line)."
    fail = [f'{c} {p}: {m}' for c, p, m in found if (c, p) not in pending]
    held = [f'pending {c} {p}: {m}' for c, p, m in found if (c, p) in pending]
    stale = sorted(pending - {(c, p) for c, p, _ in found})
    fail += [f'.ci/docs_pending.txt lists "{c} {p}" but that page has no such finding left: remove the line' for c, p in stale]
    return fail, held

def legacy_checks(errors, notes):
    "The checks of the configuration and of every page that have no pending list (any finding fails)."
    err = errors.append
    cfg = yaml.safe_load((root/'_quarto.yml').read_text())
    html_fmt = cfg.get('format', {}).get('html', {})
    if html_fmt.get('code-fold'): err('_quarto.yml: code-fold puts a "Code" toggle above every cell; show code plainly')
    if 'commonmark' in cfg.get('format', {}): err('_quarto.yml: a commonmark format adds an "Other formats" copy of every page that no reader needs (and its TeX warnings)')
    if not html_fmt.get('toc'): err('_quarto.yml: format.html.toc must be true: long pages need their "On this page" list')
    site = cfg.get('website', {})
    if site.get('repo-subdir') != 'nbs': err('_quarto.yml: website.repo-subdir must be nbs, or "View source" links miss nbs/')
    nav = site.get('navbar', {})
    hrefs = {i.get('text'): i.get('href') for side in ('left', 'right') for i in nav.get(side, [])}
    for text, href in hrefs.items():
        if href and '://' not in href and not (proc/href).exists(): err(f'navbar "{text}" points to {href}, which does not exist')
    if hrefs.get('API') != '10_api.ipynb': err(f'navbar "API" points to {hrefs.get("API")}, not the API reference 10_api.ipynb')
    nbdev_yml = yaml.safe_load((proc/'nbdev.yml').read_text()) if (proc/'nbdev.yml').exists() else {}
    if nbdev_yml.get('website', {}).get('repo-subdir') not in (None, 'nbs'): err('nbdev.yml sets another repo-subdir')

    css = (proc/'styles.css').read_text() if (proc/'styles.css').exists() else ''
    def css_rule_for(selector_part, *decls):
        for sel, body in re.findall(r'([^{}]+)\{([^}]*)\}', re.sub(r'/\*.*?\*/', '', css, flags=re.S)):
            if selector_part in sel and all(re.search(d, body) for d in decls): return True
        return False
    scaled = css_rule_for('.cell-output-display img', r'max-width:\s*100%', r'height:\s*auto')
    if not scaled: err('styles.css: no rule scales `.cell-output-display img` to the column (max-width: 100%; height: auto)')
    if not css_rule_for('.cell-output-stdout pre', r'white-space:\s*pre-wrap'):
        err('styles.css: no rule wraps printed output (`.cell-output-stdout pre { white-space: pre-wrap }`): long lines are cut at the column')
    if not css_rule_for('.cell-output-stdout pre', r'font-size:\s*13px'):
        err('styles.css: no rule sets code and output in a 13 px face (`.cell-output-stdout pre { font-size: 13px }`): '
            'at 1,280 px an 80-character line then wraps')
    if not css_rule_for('table code', r'white-space:\s*nowrap'):
        err('styles.css: no rule keeps names in tables whole (`table code { white-space: nowrap }`): the API index breaks identifiers')

    # ---- page by page
    pages = sorted(nbs.glob('*.ipynb'))
    wide, n_images = [], 0
    for src in pages:
        out = proc/src.name
        if not out.exists(): err(f'{out} was not produced'); continue
        if not (root/site.get('repo-subdir', '')/src.name).exists(): err(f'{src.name}: its "View source" link would not resolve')
        nb = nbformat.read(out, as_version=4)
        for i, c in enumerate(nb.cells):
            where = f'{src.name} cell {i}'
            texts = [c.source] if c.cell_type == 'markdown' else list(md_outputs(c))
            for md in texts:
                for target in re.findall(r'\]\(([^)#\s]+\.(?:ipynb|qmd|md))(?:#[^)]*)?\)', md):
                    if '://' not in target and not (proc/target).exists(): err(f'{where}: broken link to {target}')
                for p in paragraphs(md):
                    if _re_para_badge.match(p): err(f'{where}: a badge alone in its paragraph becomes a captioned figure: {p.strip()[:80]}')
                for m in _re_nested.finditer(md): err(f'{where}: a link around a linked name shows as raw Markdown: {m.group(0)[:80]}')
                if c.cell_type == 'code':
                    for fence in _re_fence.findall(md):
                        if re.search(r'\]\(http', fence): err(f'{where}: a link inside a signature shows as raw Markdown: {fence[:80]!r}')
            if c.cell_type != 'code': continue
            if re.search(r'show_doc\(', c.source):
                for md in md_outputs(c):
                    if 'Call self as a function' in md: err(f'{where}: documented object without a docstring')
                    rest = md.rsplit('```', 1)[-1] if '```' in md else ''
                    if not rest.strip(): err(f'{where}: {c.source.splitlines()[-1]} has no docstring')
            if 'hide' not in directives(c.source) and re.search(r'^\s*from fastcore\.test import', c.source, re.M):
                err(f'{where}: a test-helper import cell is shown; mark it #| hide')
            for h in html_outputs(c):
                if 'Interactive widget' in h and not re.search(r'<input type="range"|<button', h):
                    err(f'{where}: the widget\'s static snapshot shows no control')
            for o in c.get('outputs', []):
                if 'image/png' in o.get('data', {}):
                    n_images += 1; w = shown_width(o)
                    if w > COLUMN_PX: wide.append(f'{src.name} cell {i}: {w}px')
        if src.stem == '08_tutorial':
            # nbdev drops the `#| slow` / `#| download` flags from the page: the tutorial's text refers to those cells,
            # so each must begin with a comment naming its flag, and that comment must reach the page
            shown = '\n'.join(c.source for c in nb.cells if c.cell_type == 'code')
            for c in nbformat.read(src, as_version=4).cells:
                flags = set(directives(c.source)) & {'slow', 'download', 'gpu'}
                if c.cell_type != 'code' or not flags: continue
                first = next((l for l in visible_code(c.source) if l.strip()), '')
                if not (first.lstrip().startswith('#') and any(f in first for f in flags) and first in shown):
                    err(f'{src.name} cell {c.get("id")}: the tutorial refers to its {"/".join(sorted(flags))} cells, but the page '
                        f'strips the flag: begin the code with a comment naming it')
        if src.stem == '10_api':
            rows = [l for c in nb.cells for md in md_outputs(c) for l in md.splitlines() if l.startswith('| ') and not l.startswith('| name')]
            if not rows: err('10_api: the API index has no rows')
            for l in rows:
                if not re.match(r'\| \[`[^`]+`\]\(https?://[^)]+\) \| \S', l): err(f'10_api: a row is not one linked name and its summary: {l[:90]}')

    for f in ('_quarto.yml', 'sidebar.yml', 'nbdev.yml', 'styles.css'):
        if not (proc/f).exists(): err(f'_proc/{f} missing')
    if wide:
        msg = f'{len(wide)} of {n_images} output images are wider than the {COLUMN_PX}px column'
        if scaled: notes.append(msg + ': styles.css scales them to it')
        else: err(msg + ' and nothing scales them: ' + ', '.join(wide))

    return len(pages)

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    report = '--report' in argv
    errors, notes = [], []
    n_pages = legacy_checks(errors, notes)
    site_url = (yaml.safe_load((proc/'nbdev.yml').read_text()) or {}).get('website', {}).get('site-url', '') if (proc/'nbdev.yml').exists() else ''
    sys.path.insert(0, str(root))
    from hiercifar._modidx import d
    syms = {k.split('.', 2)[-1]: v for m in d['syms'].values() for k, v in m.items()}
    found = findings(proc, site_url or 'https://hiercifar.github.io/hiercifar', syms)
    fail, held = judge(found, read_pending())
    if report:
        print('\n'.join(errors + [f'{c} {p}: {m}' for c, p, m in found]))
        counts = {}
        for c, p, _ in found: counts[(c, p)] = counts.get((c, p), 0) + 1
        print('\nfindings per check and page:\n' + '\n'.join(f'  {c} {p}: {n}' for (c, p), n in sorted(counts.items())))
        return 0
    errors += fail
    print('\n'.join(errors + notes))
    if held: print(f'{len(held)} findings pending in .ci/docs_pending.txt (notebook fixes of issue 27 still to come): '
                   f'`python .ci/check_docs.py --report` lists them')
    if not errors: print(f'docs input OK: {n_pages} pages processed; links, badges, API index, docstrings, source links, navbar, '
                         f'figures, readability ({", ".join(CHECKS)}) checked')
    return 1 if errors else 0

if __name__ == '__main__': sys.exit(main())
