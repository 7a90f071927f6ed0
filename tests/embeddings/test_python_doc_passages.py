"""Python's HTML documentation is read from the page's main body only: navigation never joins a passage."""

from __future__ import annotations

from services.embeddings.corpus import pydocs

# The shape of a Sphinx page in Debian's python3.11-doc: navigation bars above and below the main body, with
# XHTML-style void elements (`<img ... />`) inside them, and a figure inside the body.
PAGE = """\
<html><head><title>copyreg — Register pickle support functions &#8212; Python 3.11.2 documentation</title></head>
<body>
<div class="related" role="navigation"><h3>Navigation</h3><ul>
  <li><img src="../_static/py.svg" alt="python logo"/></li><li><a href="https://www.python.org/">Python</a> &#187;</li>
</ul></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" role="main">
<section id="module-copyreg"><h1>copyreg — Register pickle support functions<a class="headerlink" href="#x">¶</a></h1>
<p>The copyreg module offers a way to define functions used while pickling.</p>
<img alt="a diagram" src="diagram.png" />
<section id="example"><h2>Example<a class="headerlink" href="#example">¶</a></h2>
<p>The example below shows how to register a pickle function:</p>
<div class="highlight"><pre>import copyreg</pre></div>
</section></section>
</div></div></div>
<div class="sphinxsidebar" role="navigation"><h3>This Page</h3><ul><li>Report a Bug</li></ul></div>
</div>
<div class="related" role="navigation"><h3>Navigation</h3><ul>
  <li><img src="../_static/py.svg" alt="python logo" style="vertical-align: middle"/></li>
  <li><a href="https://www.python.org/">Python</a> &#187;</li>
  <li class="nav-item"><a href="index.html">The Python Standard Library</a> &#187;</li>
</ul></div>
<div class="footer">&copy; Copyright 2001-2023, Python Software Foundation.</div>
</body></html>
"""


def test_navigation_below_the_body_stays_out_of_the_last_passage() -> None:
    title, markdown = pydocs.page_markdown(PAGE)
    assert "copyreg" in title
    last = markdown.split("## ")[-1]
    assert "import copyreg" in last
    assert "The copyreg module offers a way" in markdown  # the body around the figure is all there
    for chrome in ("Navigation", "»", "Standard Library", "Report a Bug", "Copyright", "¶"):
        assert chrome not in markdown, chrome
