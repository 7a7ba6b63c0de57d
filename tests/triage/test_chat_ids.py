"""Chat and account ids from real extraction paths (rules/apps.yaml `chats:`/`accounts:`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanner.errors import RuleError
from scanner.triage import Attribution, load_apps, load_rules
from tests.triage.triage_support import facts, write

BUNDLED = Path(__file__).parents[2] / "rules"
KAKAO_ROOM = "18247529340028813"

IDS = [
    # KakaoTalk Android: contents/<Mg==|Mw==>/<chat id>/…, whatever comes before
    (
        f"/sdcard/Android/data/com.kakao.talk/contents/Mg==/{KAKAO_ROOM}/a1b2c3d4e5f6",
        Attribution("kakaotalk", chat_id=KAKAO_ROOM),
    ),
    (
        f"/data/media/0/Android/data/com.kakao.talk/contents/Mw==/{KAKAO_ROOM}/b7/9f3e2d",
        Attribution("kakaotalk", chat_id=KAKAO_ROOM),
    ),
    (
        f"storage/emulated/0/Android/data/com.kakao.talk/contents/Mg==/{KAKAO_ROOM}/x",
        Attribution("kakaotalk", chat_id=KAKAO_ROOM),
    ),
    (
        f"Dump/Galaxy S21.zip/sdcard/Android/data/com.kakao.talk/contents/Mg==/{KAKAO_ROOM}/x",
        Attribution("kakaotalk", chat_id=KAKAO_ROOM),
    ),
    (
        rf"E:\추출\sdcard\Android\data\com.kakao.talk\contents\Mg==\{KAKAO_ROOM}\x",
        Attribution("kakaotalk", chat_id=KAKAO_ROOM),
    ),
    # a file right under Mg== has no chat folder
    ("/sdcard/Android/data/com.kakao.talk/contents/Mg==/a1b2", Attribution("kakaotalk")),
    ("/sdcard/Android/data/com.kakao.talk/cache/image/Mg==/77/a1", Attribution("kakaotalk")),
    # KakaoTalk iOS: the data container's PrivateDocuments/chat/<chat id>/…
    (
        "/private/var/mobile/Containers/Data/Application/5A1C2B3D-0000-4E5F-8A9B-0C1D2E3F4A5B"
        "/Library/PrivateDocuments/chat/4821903399/_th_a1b2c3",
        Attribution("kakaotalk", chat_id="4821903399"),
    ),
    (
        "AppDomain-com.iwilab.KakaoTalk/Library/PrivateDocuments/chatVideo/4821903399/v1",
        Attribution("kakaotalk", chat_id="4821903399"),
    ),
    # KakaoTalk Windows: the account folder's hash, kept in its case
    (
        r"C:\Users\minji\AppData\Local\Kakao\KakaoTalk\users\9F3A0c1d\chat_data\img.jpg",
        Attribution("kakaotalk", account_id="9F3A0c1d"),
    ),
    # Telegram iOS and macOS: account-<record id>/postbox/media
    (
        "/private/var/mobile/Containers/Shared/AppGroup/03AF7D9A-08C0-45F4-AB3F-BE0B152DD363"
        "/telegram-data/account-2885063770612599369/postbox/media/telegram-cloud-photo-size-2-5",
        Attribution("telegram", account_id="2885063770612599369"),
    ),
    (
        "/Users/minji/Library/Group Containers/6N38VWS5BX.ru.keepcoder.Telegram/appstore"
        "/account-67890/postbox/media/telegram-cloud-document-1-5",
        Attribution("telegram", account_id="67890"),
    ),
    # Telegram Android and Desktop: no id in the path
    (
        "/storage/emulated/0/Android/data/org.telegram.messenger/files/Telegram/Telegram Images/5_6179.jpg",
        Attribution("telegram"),
    ),
    (
        "/data/data/org.telegram.messenger/cache/-5010612349837721042_121.jpg",
        Attribution("telegram"),
    ),
    (
        r"C:\Users\minji\AppData\Roaming\Telegram Desktop\tdata\user_data#2\media_cache\0\a1b2",
        Attribution("telegram"),
    ),
]


@pytest.mark.parametrize(("path", "expected"), IDS)
def test_bundled_ids_from_real_paths(path: str, expected: Attribution) -> None:
    assert load_rules().apps.identify(path) == [expected]


def test_path_facts_name_chats_and_accounts_by_app() -> None:
    paths = [IDS[0][0], IDS[9][0], IDS[10][0], "/sdcard/DCIM/Camera/20240301_211407.jpg"]
    assert load_rules().path_facts(paths) == {
        "apps": ["camera", "kakaotalk", "telegram"],
        "chat_ids": [f"kakaotalk:{KAKAO_ROOM}"],
        "account_ids": ["kakaotalk:9F3A0c1d", "telegram:2885063770612599369"],
    }


def test_ids_only_in_paths_of_the_app(tmp_path: Path) -> None:
    write(
        tmp_path,
        "apps.yaml",
        """
        apps:
          - name: lab-messenger
            label: Lab messenger
            kind: messenger
            folders: [com.example.chat]
            chats: ["rooms/room-<id>.d"]
        """,
    )
    apps = load_apps(tmp_path)
    assert apps.identify("/sdcard/com.example.chat/rooms/Room-Ab12.d/p.jpg") == [
        Attribution("lab-messenger", chat_id="Ab12")
    ]
    assert apps.identify("/sdcard/other/rooms/room-Ab12.d/p.jpg") == []
    assert apps.identify("/sdcard/com.example.chat/rooms/room-.d/p.jpg") == [
        Attribution("lab-messenger")
    ]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("com.kakao.talk/contents/*", "must hold <id> exactly once"),
        ("<id>/<id>", "must hold <id> exactly once"),
        ("contents/M*<id>", "text around <id> must be literal"),
        ("contents/../<id>", "has an empty, '.' or '..' part"),
        ("- 3", "folder pattern must be a string"),
    ],
)
def test_malformed_id_patterns_stop_at_load(tmp_path: Path, pattern: str, message: str) -> None:
    item = pattern[2:] if pattern.startswith("- ") else repr(pattern)
    write(
        tmp_path,
        "apps.yaml",
        f"""
        apps:
          - name: kakaotalk
            label: KakaoTalk
            kind: messenger
            folders: [com.kakao.talk]
            chats:
              - {item}
        """,
    )
    with pytest.raises(RuleError) as caught:
        load_apps(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'apps.yaml'}:7: ")
    assert message in str(caught.value)


def _lab_rules(folder: Path, value: str, fact: str = "chat_ids") -> Path:
    shutil.copy(BUNDLED / "apps.yaml", folder / "apps.yaml")
    write(
        folder,
        "lab.yaml",
        f"""
        rules:
          - name: reported-room
            priority: 1
            category: reported-chat
            when: {{fact: {fact}, op: contains, value: "{value}"}}
            reason: "in the reported room: {{{fact}}} ({{kind}})"
        """,
    )
    return folder


def test_a_rule_on_the_chat_id_of_the_paths(tmp_path: Path) -> None:
    rules = load_rules(_lab_rules(tmp_path, f"kakaotalk:{KAKAO_ROOM}"))
    here = rules.path_facts([IDS[1][0]])
    elsewhere = rules.path_facts(["/sdcard/Android/data/com.kakao.talk/contents/Mw==/99/v"])
    [finding] = rules.evaluate(facts(kind="video", **here))
    assert (finding.rule, finding.priority) == ("reported-room", 1)
    assert finding.reason == f"in the reported room: kakaotalk:{KAKAO_ROOM} (video)"
    assert rules.evaluate(facts(kind="video", **elsewhere)) == []


@pytest.mark.parametrize(
    ("value", "fact"),
    [("kakao:1234", "chat_ids"), ("kakaotalk:", "chat_ids"), ("telegram:1", "chat_ids")],
)
def test_chat_id_values_must_name_an_app_with_chats(tmp_path: Path, value: str, fact: str) -> None:
    with pytest.raises(RuleError) as caught:
        load_rules(_lab_rules(tmp_path, value, fact))
    assert str(caught.value).startswith(f"{tmp_path / 'lab.yaml'}:5: ")
    assert "is not APP:ID with APP one of kakaotalk" in str(caught.value)


def test_account_id_values_name_apps_with_accounts(tmp_path: Path) -> None:
    rules = load_rules(_lab_rules(tmp_path, "telegram:2885063770612599369", "account_ids"))
    assert rules.evaluate(facts(**rules.path_facts([IDS[10][0]])))
    with pytest.raises(RuleError, match="APP one of telegram, kakaotalk"):
        load_rules(_lab_rules(tmp_path, "whatsapp:1", "account_ids"))
