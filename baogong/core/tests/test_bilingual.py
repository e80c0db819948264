from django.utils import translation

from baogong.core.bilingual import in_reader_language


def test_one_half_of_a_bilingual_text_in_the_reader_s_language():
    text = "今日应做核酸（每2天一次）/ PCR due today (every 2 days)"
    with translation.override("zh-hans"):
        assert in_reader_language(text) == "今日应做核酸（每2天一次）"
        assert in_reader_language("人员已停用 / person is inactive") == "人员已停用"
        assert in_reader_language("A / B") == "A / B"  # not a 中文 / English pair
    with translation.override("en"):
        assert in_reader_language(text) == "PCR due today (every 2 days)"
        assert in_reader_language("人员已停用 / person is inactive") == "person is inactive"
