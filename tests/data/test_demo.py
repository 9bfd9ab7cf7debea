"""The embedded demo set: deterministic, 9 distinct languages, learnable but far from saturated."""

from __future__ import annotations

import re

import numpy as np
import pytest

from c2kd_analyze import paths
from c2kd_analyze.data import load_dataset
from c2kd_analyze.data.demo.actions import ACTIONS, ORDER_WORDS, TOOLS
from c2kd_analyze.data.demo.build import DEMO_VERSION, DemoOptions, assemble, generate
from c2kd_analyze.data.demo.ingredients import INGREDIENTS
from c2kd_analyze.data.demo.render import render
from c2kd_analyze.errors import UserError

LANGS = ("en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja")


@pytest.fixture(scope="module")
def default_demo():
    """The default-size demo (2000 train, 500 test) with its latent content, built once (5 s)."""
    opts = DemoOptions()
    raw = generate(opts)
    return assemble(raw, opts), raw


@pytest.fixture(
    scope="module",
    params=["train500", pytest.param("default", marks=pytest.mark.slow)],
)
def demo(request):
    """The default demo (slow), and one with a quarter of its training clips (fast): the test
    split is drawn from its own seed, so both have the very same 500 test clips."""
    if request.param == "default":
        return request.getfixturevalue("default_demo")
    opts = DemoOptions(n_train=500)
    raw = generate(opts)
    return assemble(raw, opts), raw


@pytest.mark.slow  # builds the default-size demo; the tests below also run on a smaller one
def test_default_demo_shape_languages_and_label(default_demo):
    ds, _ = default_demo
    assert ds.languages == LANGS and ds.synthetic and ds.feature_kind == "synthetic"
    assert "synthetic" in ds.info["description"] and "synthetic" in ds.info["synthetic"]
    assert (ds.train.n_clips, ds.test.n_clips, ds.test.n_queries) == (2000, 500, 500)
    assert ds.train.features.shape == (2000, 30, 512) and ds.train.features.dtype == np.float32
    frames = ds.train.mask.sum(1)
    assert frames.min() == 8 and frames.max() == 30
    norms = np.linalg.norm(ds.test.features, axis=-1)
    np.testing.assert_allclose(norms[ds.test.mask], 1.0, atol=1e-5)
    assert not norms[~ds.test.mask].any()
    for lang in LANGS:
        assert all(len(c) == 1 for c in ds.train.captions[lang])  # one per clip by default
        assert all(len(c) == 1 for c in ds.test.captions[lang])
    assert len(set(ds.train.clip_ids) | set(ds.test.clip_ids)) == 2500


def test_same_seed_same_data_different_seed_different_data(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "a"))
    a = load_dataset("demo", n_train=100, n_test=40, seed=7)
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "b"))
    b = load_dataset("demo", n_train=100, n_test=40, seed=7)
    again = load_dataset("demo", n_train=100, n_test=40, seed=7)  # from b's cache
    for other in (b, again):
        for x, y in ((a.train, other.train), (a.test, other.test)):
            assert x.clip_ids == y.clip_ids and x.captions == y.captions
            assert np.array_equal(x.features, y.features) and np.array_equal(x.mask, y.mask)
    c = load_dataset("demo", n_train=100, n_test=40, seed=8)
    assert not np.array_equal(a.train.features[:, :8], c.train.features[:, :8])
    assert a.train.captions["en"] != c.train.captions["en"]
    assert a.test.captions["de"] != c.test.captions["de"]


def test_damaged_cache_is_regenerated_identically(tmp_path):
    first = load_dataset("demo", n_train=100, n_test=40, seed=1)
    (arrays,) = (paths.cache_dir() / "datasets").glob("demo-*/arrays.npz")
    arrays.write_bytes(arrays.read_bytes()[:1000])
    second = load_dataset("demo", n_train=100, n_test=40, seed=1)
    assert np.array_equal(first.test.features, second.test.features)
    assert first.test.captions == second.test.captions


def test_a_complete_cache_entry_is_read_without_the_lock(tmp_path, monkeypatch):
    """A read-only cache that holds the data works: reading takes no lock (and writes nothing);
    only generating does."""
    import filelock

    first = load_dataset("demo", n_train=100, n_test=40, seed=2)
    entries = sorted(p.name for p in (paths.cache_dir() / "datasets").iterdir())

    def no_lock(*args, **kw):
        raise PermissionError(13, "Permission denied", str(args[0]))  # as a read-only folder

    monkeypatch.setattr(filelock, "FileLock", no_lock)
    again = load_dataset("demo", n_train=100, n_test=40, seed=2)
    assert np.array_equal(first.train.features, again.train.features)
    assert first.test.captions == again.test.captions
    assert sorted(p.name for p in (paths.cache_dir() / "datasets").iterdir()) == entries
    with pytest.raises(UserError, match="cannot write"):  # a missing entry still needs the lock
        load_dataset("demo", n_train=100, n_test=40, seed=3)


def test_more_training_captions_are_aligned_and_leave_clips_unchanged():
    one = assemble(generate(o := DemoOptions(200, 50, 3, 1)), o)
    three = assemble(generate(o := DemoOptions(200, 50, 3, 3)), o)
    assert np.array_equal(one.train.features, three.train.features)
    assert one.test.captions == three.test.captions
    for lang in LANGS:
        assert all(len(c) == 3 for c in three.train.captions[lang])
    assert sum(len(set(c)) > 1 for c in three.train.captions["en"]) > 100  # real variety


def _tokens(text: str, lang: str) -> list[str]:
    if lang in ("zh", "ja"):
        return [ch for ch in text if not re.match(r"[\s\W]", ch)]
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())


def test_every_language_is_distinct_text_in_its_own_script(demo):
    ds, _ = demo
    en = [c[0] for c in ds.test.captions["en"]]
    en_vocab = {t for s in en for t in _tokens(s, "en")}
    scripts = {"zh": r"[\u4e00-\u9fff]", "ja": r"[\u3040-\u30ff]", "ru": r"[а-яё]"}
    for lang in LANGS[1:]:
        caps = [c[0] for c in ds.test.captions[lang]]
        assert all(c.strip() for c in caps)
        assert sum(a == b for a, b in zip(caps, en, strict=True)) == 0
        tokens = [t for s in caps for t in _tokens(s, lang)]
        # mostly its own words: English ones come only from shared words ("in", "wok") and the
        # words the translation noise leaves in English
        assert np.mean([t in en_vocab for t in tokens]) < 0.15, lang
        assert np.mean([set(_tokens(s, lang)) <= en_vocab for s in caps]) < 0.01, lang
        assert len({c for c in caps}) > 0.5 * len(caps)  # not one sentence repeated
        if lang in scripts:
            assert np.mean([bool(re.search(scripts[lang], c.lower())) for c in caps]) > 0.99


def _latent_words(raw_test) -> list[str]:
    """English words for each test clip's latent content: action, ingredient, place, order."""
    lat = raw_test.latent
    out = []
    for a, i, t, p in zip(lat["action"], lat["ingredient"], lat["tool"], lat["phase"], strict=True):
        words = [ACTIONS[a].verbs["en"], INGREDIENTS[i].forms["en"], TOOLS[t].loc["en"],
                 TOOLS[t].dir["en"], ORDER_WORDS["en"][p]]  # fmt: skip
        out.append(" ".join(words))
    return out


def _tfidf(docs: list[str], vocab: dict[str, int], idf: np.ndarray) -> np.ndarray:
    x = np.zeros((len(docs), len(vocab)))
    for row, doc in enumerate(docs):
        for tok in _tokens(doc, "en"):
            if tok in vocab:
                x[row, vocab[tok]] += 1
    x *= idf
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _expected_r1(scores: np.ndarray) -> float:
    """Mean R@1 with ties broken at random: 1 / (1 + ties) when nothing scores strictly higher."""
    truth = np.diag(scores)[:, None]
    higher = (scores > truth + 1e-9).sum(1)
    ties = (np.abs(scores - truth) <= 1e-9).sum(1) - 1
    return float(np.mean(np.where(higher == 0, 1.0 / (1 + ties), 0.0)))


def test_bag_of_words_oracle_is_far_above_chance_and_below_saturation(demo):
    """Retrieve each test clip from its English caption by TF-IDF against the words of every
    clip's latent content. Captions leave out the place or the order, and many clips share an
    action and ingredient, so even this oracle cannot be perfect."""
    ds, raw = demo
    captions = [c[0] for c in ds.test.captions["en"]]
    latent = _latent_words(raw["test"])
    vocab = {w: k for k, w in enumerate(sorted({t for d in latent for t in _tokens(d, "en")}))}
    df = np.zeros(len(vocab))
    for doc in latent:
        for tok in set(_tokens(doc, "en")):
            df[vocab[tok]] += 1
    idf = np.log(len(latent) / df) + 1
    scores = _tfidf(captions, vocab, idf) @ _tfidf(latent, vocab, idf).T
    r1 = _expected_r1(scores)
    chance = 1 / ds.test.n_clips
    assert r1 > 50 * chance  # far above chance (0.002)
    assert r1 < 0.85  # but not saturated


def _mean_video(split) -> np.ndarray:
    m = split.mask[..., None]
    v = (split.features * m).sum(1) / m.sum(1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _bow(caps: list[str], lang: str, vocab: dict[str, int] | None = None):
    toks = [_tokens(c, lang) for c in caps]
    if vocab is None:
        vocab = {w: k for k, w in enumerate(sorted({t for ts in toks for t in ts}))}
    x = np.zeros((len(caps), len(vocab) + 1))
    x[:, -1] = 1.0
    for row, ts in enumerate(toks):
        for t in ts:
            if t in vocab:
                x[row, vocab[t]] = 1.0
    return x, vocab


def _ridge_recall(ds, lang: str) -> tuple[float, float]:
    """Fit caption words -> mean frame feature on train (ridge), rank test clips; R@1, R@10."""
    xtr, vocab = _bow([c[0] for c in ds.train.captions[lang]], lang)
    xte, _ = _bow([c[0] for c in ds.test.captions[lang]], lang, vocab)
    ytr, yte = _mean_video(ds.train), _mean_video(ds.test)
    mu = ytr.mean(0)
    w = np.linalg.solve(xtr.T @ xtr + np.eye(xtr.shape[1]), xtr.T @ (ytr - mu))
    pred = xte @ w
    scores = pred @ (yte - mu).T
    rank = (scores > np.diag(scores)[:, None]).sum(1)
    return float((rank < 1).mean()), float((rank < 10).mean())


def test_video_features_are_learnable_but_far_from_saturated(demo):
    """A linear map from caption words to mean frame features, fit on train, retrieves test
    clips far above chance in every language, never near saturation, English best or tied."""
    ds, _ = demo
    r1 = {}
    for lang in ("en", "de", "ja"):
        r1[lang], r10 = _ridge_recall(ds, lang)
        assert r1[lang] > 25 / ds.test.n_clips, lang
        assert r10 < 0.9, lang
    assert r1["en"] >= r1["ja"]


def _contents(opts: DemoOptions):
    """Caption contents of the training split, as ``generate`` draws them."""
    from c2kd_analyze.data.demo.recipes import caption_contents, sample_latents

    _, train_ss, _ = np.random.SeedSequence([opts.seed, DEMO_VERSION]).spawn(3)
    lat_ss, cap_ss, _ = train_ss.spawn(3)
    latent = sample_latents(opts.n_train, np.random.default_rng(lat_ss))
    return list(caption_contents(latent, opts.train_captions, cap_ss, opts.noise_rates()))


def test_noise_zero_gives_exact_translations():
    """An exact translation says what the English caption says: same action, ingredient, place,
    order and quantity, nothing dropped or left in English; so it is rendered from the English
    caption's content alone."""
    opts = DemoOptions(150, 20, 4, 2, noise=0.0)
    ds = assemble(generate(opts), opts)
    contents = _contents(opts)
    for i, clip in enumerate(contents):
        for lang in LANGS:
            assert clip[lang] == clip["en"], (i, lang)
            assert ds.train.captions[lang][i] == [render(lang, c) for c in clip["en"]]
    assert ds.info["translation_noise"].startswith("x0: de 0.00")


def _mistranslated(opts: DemoOptions) -> int:
    """Non-English captions whose content differs from the English they translate."""
    return sum(clip[lang] != clip["en"] for clip in _contents(opts) for lang in LANGS[1:])


def test_more_noise_changes_more_captions():
    counts = [_mistranslated(DemoOptions(300, 20, 5, 1, noise=x)) for x in (0.0, 1.0, 3.0)]
    assert counts[0] == 0
    # 2400 translations at a mean slot rate of 0.066: at most 1-(1-0.066)^4 = 24 % (580) change,
    # at least the object and verb hits, 1-(1-0.066)^2 = 13 % (300)
    assert 300 < counts[1] < 580 and counts[2] > 2 * counts[1]


def test_noise_is_in_the_cache_key_and_one_is_the_default(tmp_path):
    default = load_dataset("demo", n_train=60, n_test=12, seed=2)
    same = load_dataset("demo", n_train=60, n_test=12, seed=2, noise="1")
    exact = load_dataset("demo", n_train=60, n_test=12, seed=2, noise=0)
    assert default.source == same.source and default.train.captions == same.train.captions
    assert exact.source != default.source and "noise0.0" in exact.source
    assert exact.train.captions["en"] == default.train.captions["en"]
    assert exact.train.captions["ja"] != default.train.captions["ja"]
    assert np.array_equal(exact.train.features, default.train.features)
    folders = sorted(p.name for p in (paths.cache_dir() / "datasets").glob("demo-*") if p.is_dir())
    assert len(folders) == 2
