"""App attribution on real-looking Android, Windows and macOS paths (rules/apps.yaml)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from scanner.triage import attribute_apps, load_apps, load_rules
from tests.triage.triage_support import write

PATHS = [
    # Telegram
    (
        r"C:\Users\minji\Downloads\Telegram Desktop\photo_2024-03-01_21-14-07.jpg",
        ["telegram", "downloads"],
    ),
    (
        r"C:\Users\minji\AppData\Roaming\Telegram Desktop\tdata\user_data\media_cache\0\a1b2",
        ["telegram"],
    ),
    (
        "/Users/minji/Library/Group Containers/6N38VWS5BX.ru.keepcoder.Telegram/stable/account-1/postbox/media/telegram-cloud-photo-size-2-5",
        ["telegram"],
    ),
    ("/data/data/org.telegram.messenger/cache/-5010612349837721042_121.jpg", ["telegram"]),
    (
        "/storage/emulated/0/Android/data/org.telegram.messenger/files/Telegram/Telegram Images/1234.jpg",
        ["telegram"],
    ),
    (
        "/storage/emulated/0/Android/media/org.telegram.messenger.web/Telegram/Telegram Video/5.mp4",
        ["telegram"],
    ),
    ("/storage/emulated/0/Telegram/Telegram Images/5_6179.jpg", ["telegram"]),
    # KakaoTalk
    ("/data/data/com.kakao.talk/cache/image_cache/3f/3f2a9c", ["kakaotalk"]),
    ("/storage/emulated/0/Android/data/com.kakao.talk/contents/Mg==/3c/3c9d.jpg", ["kakaotalk"]),
    ("/storage/emulated/0/KakaoTalkDownload/KakaoTalk_20240301_211407123.jpg", ["kakaotalk"]),
    ("/storage/emulated/0/Pictures/KakaoTalk/1709295247123.jpg", ["kakaotalk"]),
    (r"C:\Users\김민지\Documents\카카오톡 받은 파일\KakaoTalk_20240301_2114.jpg", ["kakaotalk"]),
    (r"D:\카카오톡 받은 파일\사진.jpg", ["kakaotalk"]),
    (r"C:\Users\minji\AppData\Local\Kakao\KakaoTalk\users\a1b2c3\chat_data\img.jpg", ["kakaotalk"]),
    ("/storage/emulated/0/Pictures/KakaoTalk_20240301_211407123.jpg", ["kakaotalk"]),
    # other messengers
    ("/Users/minji/Desktop/IMG-20240301-WA0003.jpg", ["whatsapp"]),
    (
        "/storage/emulated/0/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-20240301-WA0001.jpg",
        ["whatsapp"],
    ),
    (
        "/storage/emulated/0/WhatsApp/Media/WhatsApp Images/Sent/IMG-20240301-WA0002.jpg",
        ["whatsapp"],
    ),
    (
        r"C:\Users\m\AppData\Local\Packages\5319275A.WhatsAppDesktop_cv1g1gvanyjgm\LocalState\shared\transfers\a.jpg",
        ["whatsapp"],
    ),
    ("/data/data/jp.naver.line.android/cache/image_manager_disk_cache/1.0", ["line"]),
    (r"C:\Users\m\AppData\Local\LINE\Data\Cache\a.jpg", ["line"]),
    ("/data/data/org.thoughtcrime.securesms/app_parts/part123.mms", ["signal"]),
    (r"C:\Users\m\AppData\Roaming\Signal\attachments.noindex\3f\3f2a", ["signal"]),
    (r"C:\Users\m\AppData\Roaming\discord\Cache\Cache_Data\f_00012a", ["discord"]),
    # browser caches
    (
        r"C:\Users\m\AppData\Local\Google\Chrome\User Data\Default\Cache\Cache_Data\f_0001b3",
        ["chrome"],
    ),
    (
        r"C:\Users\m\AppData\Local\Google\Chrome\User Data\Profile 2\Cache\Cache_Data\f_000002",
        ["chrome"],
    ),
    ("/data/data/com.android.chrome/cache/Cache/0a1b2c3d_0", ["chrome"]),
    (
        r"C:\Users\m\AppData\Local\Microsoft\Edge\User Data\Default\Cache\Cache_Data\f_0004",
        ["edge"],
    ),
    (r"C:\Users\m\AppData\Local\Microsoft\Windows\INetCache\IE\ABCD1234\image[1].jpg", ["edge"]),
    (
        r"C:\Users\m\AppData\Local\Mozilla\Firefox\Profiles\x1y2z3.default-release\cache2\entries\0A1B",
        ["firefox"],
    ),
    ("/data/data/com.sec.android.app.sbrowser/cache/Cache/abc_0", ["samsung-internet"]),
    (
        r"C:\Users\m\AppData\Local\Naver\Naver Whale\User Data\Default\Cache\Cache_Data\f_01",
        ["whale"],
    ),
    # device folders
    ("/storage/emulated/0/DCIM/Camera/20240301_211407.jpg", ["camera"]),
    ("/private/var/mobile/Media/DCIM/101APPLE/IMG_1234.HEIC", ["camera"]),
    ("/media/sdcard/DCIM/100ANDRO/DSC_0001.JPG", ["camera"]),
    (
        "/storage/emulated/0/DCIM/Screenshots/Screenshot_20240301-211407_KakaoTalk.jpg",
        ["screenshots"],
    ),
    (r"C:\Users\m\Pictures\Screenshots\Screenshot 2024-03-01 211407.png", ["screenshots"]),
    ("/Users/minji/Desktop/스크린샷 2024-03-01 오후 9.14.07.png", ["screenshots"]),
    ("/storage/emulated/0/Download/image.jpg", ["downloads"]),
    # nothing
    ("/storage/emulated/0/Pictures/holiday.jpg", []),
    ("/home/minji/notes/telegram-ideas/tdata-backup.jpg", []),  # names only in a folder / file name
    ("/home/minji/pipeline/online/a.jpg", []),  # "line" only as part of a name
    ("/storage/emulated/0/DCIM/.thumbnails/123.jpg", []),
    ("", []),
]


@pytest.mark.parametrize(("path", "apps"), PATHS)
def test_bundled_attribution(path: str, apps: list[str]) -> None:
    assert attribute_apps(path) == apps


def test_case_and_separators_do_not_matter() -> None:
    assert attribute_apps("/DATA/DATA/COM.KAKAO.TALK/CACHE/x") == ["kakaotalk"]
    assert attribute_apps("c:/users/m/downloads/telegram desktop/a.jpg") == [
        "telegram",
        "downloads",
    ]
    assert attribute_apps(r"\\?\C:\Users\m\Documents\카카오톡 받은 파일\a.jpg") == ["kakaotalk"]


def test_decomposed_korean_names_match() -> None:
    """HFS+/APFS copies store Hangul decomposed (NFD); it must still match."""
    path = unicodedata.normalize(
        "NFD", "/Volumes/USB/Users/minji/Documents/카카오톡 받은 파일/a.jpg"
    )
    assert path != unicodedata.normalize("NFC", path)
    assert attribute_apps(path) == ["kakaotalk"]


def test_every_bundled_app_is_exercised() -> None:
    used = {app for _, apps in PATHS for app in apps}
    assert used == set(load_apps().names())


def test_lab_folder_with_its_own_apps(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lab.yaml",
        """
        apps:
          - name: bandizip-temp
            label: Bandizip temporary files
            kind: other
            folders: ["AppData/Local/Temp/Bandizip*", "**/BandiTemp"]
            names: ["*.bz-tmp.jpg"]
        rules:
          - name: bz
            priority: 4
            category: archive
            when: {fact: apps, op: contains, value: bandizip-temp}
            reason: "found in {apps}"
        """,
    )
    rules = load_rules(tmp_path)
    assert rules.attribute_apps(r"C:\Users\m\AppData\Local\Temp\Bandizip123\a.jpg") == [
        "bandizip-temp"
    ]
    assert rules.attribute_apps("/x/y/BandiTemp/z/a.jpg") == ["bandizip-temp"]
    assert rules.attribute_apps("/x/a.BZ-TMP.jpg") == ["bandizip-temp"]
    assert rules.attribute_apps("/data/data/com.kakao.talk/a.jpg") == []
    assert rules.path_facts(["/x/BandiTemp/a.jpg", "/y/a.jpg"]) == {
        "apps": ["bandizip-temp"],
        "chat_ids": [],
        "account_ids": [],
    }


def test_lab_folder_without_apps_uses_bundled_ones(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lab.yaml",
        """
        rules:
          - name: tg
            priority: 3
            category: messenger
            when: {fact: apps, op: contains, value: telegram}
            reason: "found in {apps}"
        """,
    )
    rules = load_rules(tmp_path)
    assert rules.attribute_apps("/data/data/org.telegram.messenger/cache/1.jpg") == ["telegram"]
    assert [f.rule for f in rules.evaluate({"apps": ["telegram"]})] == ["tg"]
