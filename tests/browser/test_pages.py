"""The report pages as a person sees them: rendered by headless Chromium (Debian's chromium and chromedriver, which
.ci/run installs) from the recorded real runs in tests/fixtures/results. Each page must load every image, log no
console error, show its key numbers as text, fit a phone's width and print. Screenshots are kept beside the pages
in tests/output/browser/ for a human to look at."""

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR, VENV_BIN

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FIXTURE_RESULTS = PROJECT_DIR / "tests" / "fixtures" / "results"
# A long folder name: the index names its folder, and a path longer than a phone is wide must wrap, wherever the clone is.
RESULTS = PROJECT_DIR / "tests" / "output" / "browser" / "aresultsfolderwhosepathiswiderthanaphonescreen" / "results"
TEN_EPOCHS, SIX_EPOCHS, FAILED = "20261126-155455-6d2d", "20261126-155619-48a5", "20261126-160000-fail"
DESKTOP, PHONE = (1200, 900), (390, 844)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
)


@pytest.fixture(scope="module")
def pages():
    """The pages, written by the CLI as after real runs: each run's report, the index and one comparison."""
    shutil.rmtree(RESULTS, ignore_errors=True)
    shutil.copytree(FIXTURE_RESULTS, RESULTS, ignore=shutil.ignore_patterns("README.md"))
    for args in ([TEN_EPOCHS], [SIX_EPOCHS], [FAILED], ["--compare", TEN_EPOCHS, SIX_EPOCHS]):
        completed = subprocess.run(
            [str(VENV_BIN / "raybook"), "report", *args, "--results-dir", str(RESULTS)], check=False, capture_output=True, text=True, timeout=120
        )
        assert completed.returncode == 0, completed.stderr
    return {
        "run": RESULTS / TEN_EPOCHS / "report.html",
        "failed": RESULTS / FAILED / "report.html",
        "index": RESULTS / "index.html",
        "compare": RESULTS / ("compare-%s-%s.html" % (TEN_EPOCHS, SIX_EPOCHS)),
    }


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def open_page(browser, path, size):
    browser.set_window_size(*size)
    browser.get(path.as_uri())
    browser.get_log("browser")  # what an earlier page left
    browser.refresh()
    return browser.execute_script("return document.body.innerText")


def screenshot(browser, path, name):
    """The whole page at the window's width, saved beside it."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(browser.get_window_size()["width"], min(height + 120, 8000))
    browser.save_screenshot(str(path.parent / name))


# The numbers each page must show as text: rounded, with units.
KEY_TEXT = {
    "run": ["SUCCEEDED", "2026-11-26 15:55 UTC", "1 min 10 s", "2.60.0", "192.0.2.2", "16.1 GiB", "99.3 %", "0.0519",
            "1,669 rows/s", "p50 6.38 ms · p95 10.9 ms · max 14.9 ms"],
    "failed": ["FAILED", "Ray job raybook-20261126-160000-fail-boom FAILED", "RuntimeError: the data file is missing"],
    "index": [TEN_EPOCHS, SIX_EPOCHS, FAILED, "first run", "python train.py --epochs 6", "1,669"],
    "compare": ["+0.252 (+485.3 %)", "-9.87 points (-9.9 %)", "train.entrypoint"],
}
IMAGES = {"run": 4, "failed": 0, "index": 1, "compare": 1}


@pytest.mark.parametrize("name", sorted(KEY_TEXT))
def test_the_page_loads_whole_with_its_numbers_and_no_console_errors(browser, pages, name):
    text = open_page(browser, pages[name], DESKTOP)
    for shown in KEY_TEXT[name]:
        assert shown in text, shown
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"
    )
    assert len(images) == IMAGES[name]
    assert all(loaded for _unused, loaded in images), images
    links = browser.execute_script("return Array.from(document.links).map(a => a.href)")
    assert all(link.startswith("file://") for link in links), links  # nothing from the network
    assert browser.get_log("browser") == []  # no console errors, no failed loads
    screenshot(browser, pages[name], "%s.png" % pages[name].stem)


@pytest.mark.parametrize("name", ["run", "index"])
def test_the_page_fits_a_phone_screen(browser, pages, name):
    open_page(browser, pages[name], PHONE)
    page_width, window_width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert page_width <= window_width  # wide tables scroll in their own box, the page does not
    widest_image = browser.execute_script("return Math.max(0, ...Array.from(document.images).map(i => i.getBoundingClientRect().right))")
    assert widest_image <= window_width
    screenshot(browser, pages[name], "%s-phone.png" % pages[name].stem)


def test_the_run_page_prints(browser, pages):
    open_page(browser, pages["run"], DESKTOP)
    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    (pages["run"].parent / "report.pdf").write_bytes(pdf)


def test_the_log_links_open(browser, pages):
    open_page(browser, pages["failed"], DESKTOP)
    browser.find_element("css selector", "a[href='boom/logs.txt']").click()
    assert "step 3 of 3" in browser.execute_script("return document.body.innerText")
