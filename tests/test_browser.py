"""End to end in a real browser: JupyterLab on 127.0.0.1 with a token, the widgets notebook run top to bottom in
Debian's Chromium driven by Playwright, a slider moved, and the displayed numbers checked. The screenshot is kept
in tests/artifacts/widgets.png. The server and the browser are stopped by the test itself."""
import os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest
from conftest import REPO

CHROMIUM = shutil.which('chromium') or shutil.which('google-chrome') or '/usr/bin/chromium'   # Debian's, or a CI runner's Chrome
ARTIFACTS = REPO/'tests'/'artifacts'
# Chromium's own background traffic is pointless (and refused) on a closed network.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def jupyterlab(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get('CI'): pytest.fail(f'{CHROMIUM} missing: .ci/run installs it with apt-get install chromium')
        pytest.skip('Chromium not installed (apt-get install chromium)')
    pytest.importorskip('playwright.sync_api')
    root = tmp_path_factory.mktemp('lab')
    shutil.copy(REPO/'nbs'/'07_widgets.ipynb', root/'07_widgets.ipynb')
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(root/'.jupyter'), 'JUPYTER_RUNTIME_DIR': str(root/'.runtime'),
           'JUPYTER_DATA_DIR': str(root/'.data')}
    env.pop('MPLBACKEND', None)   # the kernel uses the inline backend, as for a person
    # no "news" pop-up over the page: JupyterLab's own setting, in a settings folder of this test's
    settings = root/'.settings'/'@jupyterlab'/'apputils-extension'
    settings.mkdir(parents=True)
    (settings/'notification.jupyterlab-settings').write_text('{"fetchNews": "false"}')
    env['JUPYTERLAB_SETTINGS_DIR'] = str(root/'.settings')
    log = open(root/'server.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--ServerApp.ip=127.0.0.1',
                             f'--ServerApp.port={port}', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root}',
                             '--allow-root', '--LabApp.news_url=', '--LabApp.extension_manager=readonly',
                             '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f'http://127.0.0.1:{port}'
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2); break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError('JupyterLab did not start:\n' + (root/'server.log').read_text()[-3000:])
                time.sleep(0.5)
        yield base, token, root
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        log.close()

def test_widgets_notebook_in_chromium(jupyterlab):
    from playwright.sync_api import sync_playwright
    base, token, root = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={'width': 1400, 'height': 1100})
            page.goto(f'{base}/lab/tree/07_widgets.ipynb?token={token}', timeout=90_000)
            page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=90_000)
            page.wait_for_selector('#jp-main-statusbar >> text=Idle', timeout=90_000)   # kernel ready
            page.get_by_role('menuitem', name='Run', exact=True).click()
            page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
            # the last cell trains a short run; its table appears when the whole notebook has run
            page.wait_for_selector('.hc-runs table', state='attached', timeout=240_000)
            page.wait_for_selector('#jp-main-statusbar >> text=Idle', timeout=60_000)
            assert page.locator('.jp-OutputArea-output:has-text("Traceback")').count() == 0
            whatif = page.locator('.hc-whatif').first
            whatif.scroll_into_view_if_needed()
            metrics = whatif.locator('.hc-metrics')
            try: metrics.get_by_text('class accuracy', exact=True).wait_for(timeout=30_000)   # rendered once scrolled into view
            finally: page.screenshot(path=str(ARTIFACTS/'widgets_page.png'))
            before = metrics.inner_text()
            assert 'argmax' in before and 'CRM' in before and 'class accuracy' in before
            handle = whatif.locator('.noUi-handle').first      # "same superclass" slider
            handle.focus()
            for _ in range(6): page.keyboard.press('ArrowRight')
            page.wait_for_function('([el, old]) => el.innerText !== old', arg=[metrics.element_handle(), before], timeout=20_000)
            after = metrics.inner_text()
            assert after != before
            page.wait_for_timeout(300)
            whatif.screenshot(path=str(ARTIFACTS/'widgets.png'))
            page.screenshot(path=str(ARTIFACTS/'widgets_page.png'), full_page=False)
            print('\nwhat-if panel before:\n' + before + '\nafter moving the slider:\n' + after)
        finally:
            browser.close()
