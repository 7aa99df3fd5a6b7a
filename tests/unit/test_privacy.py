from gongji.domain.privacy import mask_certno, mask_name, mask_phone, scrub


def test_masks() -> None:
    assert mask_certno("110101199003071234") == "110101********1234"
    assert mask_certno("11010119900307123X") == "110101********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_scrub_finds_personal_data_in_free_text() -> None:
    line = "login certno=110101199003071234 phone 13812345678 ok"
    assert scrub(line) == "login certno=110101********1234 phone 138****5678 ok"


def test_scrub_leaves_ids_amounts_and_message_ids_alone() -> None:
    for s in ("01a20f2f-8e5d-7000-9fef-a74fdc0bbad0", "amount 200000 fen",
              "H51010000001202611241200000001", "20261124220000", "setl 1234567890123456789"):
        assert scrub(s) == s
