from workers.sipuni.client import EXPORT_DEFAULTS
from workers.sipuni.signing import sign, signature_base, signed


def test_export_hash_matches_the_reference_test_vector():
    params = {**EXPORT_DEFAULTS, "from": "01.10.2025", "to": "07.10.2025", "user": "012345"}
    assert len(params) == 23
    assert signature_base(params, "0.abcdefghijk") == \
        "1+0+0+0+01.10.2025++0+1+0+0+0+0++0+0+++07.10.2025++++0+012345+0.abcdefghijk"
    assert sign(params, "0.abcdefghijk") == "beccb6da4fa9a0a8d2e78938d11820f5"


def test_parameters_are_sorted_by_name_not_user_last():
    # voicecall: `voice` sorts after `user`
    params = {"user": "012345", "voice": "M", "phone": "998901234567", "message": "hi", "sipnumber": "210"}
    assert signature_base(params, "s") == "hi+998901234567+210+012345+M+s"


def test_record_and_export_all_signatures():
    assert signature_base({"id": "1759740560.70091", "user": "012345"}, "s") == "1759740560.70091+012345+s"
    assert signature_base({"limit": "500", "order": "desc", "page": "1", "user": "012345"}, "s") == \
        "500+desc+1+012345+s"


def test_values_keep_case_and_leading_zeros_and_hash_is_not_signed():
    body = signed({"user": "060957", "tree": "ABC-1", "hash": "stale"}, "0.Secret")
    assert signature_base(body, "0.Secret") == "ABC-1+060957+0.Secret"
    assert body["hash"] == sign({"user": "060957", "tree": "ABC-1"}, "0.Secret")
    assert body["user"] == "060957"
