import xml.etree.ElementTree as ET


def test_boxes_are_one_based_and_inclusive(written):
    root = written("voc")
    doc = ET.parse(root / "voc/Annotations/00000000.xml").getroot()
    cat, dog = doc.findall("object")
    box = {t.tag: int(t.text) for t in cat.find("bndbox")}
    assert box == {"xmin": 6, "ymin": 11, "xmax": 25, "ymax": 20}
    assert cat.findtext("name") == "cat" and cat.findtext("truncated") == "0"
    assert dog.findtext("truncated") == "1"
    assert doc.findtext("size/width") == "100" and doc.findtext("filename") == "00000000.png"
    assert (root / "voc/ImageSets/Main/default.txt").read_text() == "00000000\n00000001\n"
    assert (root / "voc/labels.txt").read_text() == "cat\ndog\n"
    assert (root / "voc/JPEGImages").resolve() == (root / "images").resolve()
