import time

import pytest

from osemock.cpe.errors import SunatError
from osemock.cpe.xmlparse import parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Invoice>&lol3;</Invoice>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Invoice>&xxe;</Invoice>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE])
def test_entities_are_refused_without_expansion(payload):
    started = time.perf_counter()
    with pytest.raises(SunatError) as raised:
        parse_xml(payload)
    assert raised.value.code == "0306"
    assert "root:" not in str(raised.value)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("payload", [b"<Invoice><a></Invoice>", b"\xff\xfe<Invoice/>", b"not xml",
                                     b'<?xml version="1.0" encoding="UTF-8"?><Invoice>\xc3\x28</Invoice>'])
def test_broken_xml_is_0306_with_the_line(payload):
    with pytest.raises(SunatError) as raised:
        parse_xml(payload)
    assert raised.value.code == "0306"



def test_a_server_compiles_every_schema_and_rule_before_its_first_request(tmp_path):
    """libxml2's schema compiler is not thread-safe (two threads compiling at once fail with "Document
    is not valid XML Schema"): the app compiles every schema, and every rule sheet, when it is built,
    so the threads of its first requests only use them."""
    from osemock.cpe import xsd
    from osemock.server.rules import engine
    from osemock.server.settings import Settings
    from osemock.server.wsgi import create_app

    xsd._compile.cache_clear()
    engine._distinct.cache_clear()
    engine._plan.cache_clear()
    create_app(Settings(db=tmp_path / "store.sqlite3", data_dir=tmp_path / "keys"))
    assert xsd._compile.cache_info().currsize == len({xsd._version(r) for r in xsd.SCHEMAS.values()}) == 2
    assert engine._plan.cache_info().currsize >= len(set(engine.SHEETS.values()))
    assert engine._distinct.cache_info().currsize >= len(set(engine.SHEETS.values()))
