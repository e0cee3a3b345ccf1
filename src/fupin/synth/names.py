"""Character lists for synthetic Chinese names, by naming style.

A name is built from three parts, each drawn from one shared table so that a whole batch of
names is three ``take``s and one string join: ``surname + part1 + part2``.

- 汉 style: surname (weighted by frequency) + one or two given-name characters.
- 彝 style (凉山): a transliterated clan name (家支, e.g. 吉克) + a two-character given name.
- 藏 style: no surname; two two-character name parts (扎西 + 多吉).
- 维吾尔 style (also Kazakh, Kyrgyz, Tajik): a given name + "·" + the father's name.

The lists are common forms chosen for plausibility, not statistics (surname weights are rough
frequencies, per mille).
"""

from __future__ import annotations

from enum import IntEnum


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


class Style(IntEnum):
    HAN = 0
    YI = 1
    TIBETAN = 2
    UYGHUR = 3


#: Ethnicity code → naming style (others use 汉 style).
STYLE_OF_ETHNICITY: dict[str, Style] = {
    "07": Style.YI,
    "04": Style.TIBETAN,
    "05": Style.UYGHUR,
    "17": Style.UYGHUR,
    "29": Style.UYGHUR,
    "41": Style.UYGHUR,
}

HAN_SURNAMES: tuple[tuple[str, float], ...] = tuple(
    (name, float(weight))
    for name, weight in (
        item.split(":")
        for item in _words(
            "王:72 李:72 张:68 刘:54 陈:45 杨:31 黄:22 赵:22 吴:20 周:20 徐:16 孙:15 马:14 "
            "朱:14 胡:13 郭:13 何:12 高:12 林:12 罗:11 郑:11 梁:11 谢:9 宋:9 唐:9 许:8 韩:8 "
            "冯:8 邓:8 曹:7 彭:7 曾:7 肖:7 田:6 董:6 袁:6 潘:6 于:6 蒋:6 蔡:5 余:5 杜:5 叶:5 "
            "程:5 苏:5 魏:5 吕:5 丁:5 任:4 沈:4 姚:4 卢:4 姜:4 崔:4 钟:4 谭:4 陆:4 汪:4 范:3 "
            "金:3 石:3 廖:3 贾:3 夏:3 韦:3 付:3 方:3 白:3 邹:2 孟:2 熊:2 秦:2 邱:2 江:2 尹:2 "
            "薛:2 闫:2 段:2 雷:2 侯:1 龙:1 史:1 陶:1 黎:1 贺:1 顾:1 毛:1 郝:1 龚:1 邵:1 万:1 "
            "钱:1 严:1 覃:1 武:1 戴:1 莫:1 孔:1 向:1 常:1"
        )
    )
)

HAN_MALE = tuple(
    "伟强军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林国建志文永海春福贵生金山德才发成荣"
    "忠玉安开富兵庆清云东亮峰磊洋阳振家子博睿轩泽宏彬江树松柏光武贤"
)
HAN_FEMALE = tuple(
    "芳娜敏静丽艳娟霞秀英慧巧美兰凤琴梅玲燕萍红玉珍莉桂翠雪琳婷欣怡佳月春菊香花叶丹倩颖洁蓉秋莲"
    "晶雨涵萱梦思诗彩云霜爱"
)

YI_SURNAMES = _words(
    "吉克 阿苏 曲比 沙马 俄木 阿尔 马海 吉伍 海来 阿西 吉木 俄底 瓦其 的日 "
    "勒格 木尔 拉马 尔古 阿侯 日火 阿说 俄洛 比曲 吉尔 苏呷 阿皮 吉布 加巴 "
    "阿约 瓦扎 洛古 勒尔 吉拉 阿的 依火 俄的 甲巴 吉史 阿力 拉吉 沙玛 巴莫 "
    "阿克 尔布 俄其 马黑 阿牛 吉克"
)
YI_MALE = _words(
    "拉则 日哈 木呷 尔日 伍呷 石哈 布哈 阿木 尔古 约哈 伍沙 拉哈 木沙 日体 "
    "尔布 伍各 达体 阿牛 拉体 木果 尔者 子拉 伍加 日呷 阿火 木乃 尔哈 曲者 "
    "阿合 伍达"
)
YI_FEMALE = _words(
    "阿呷 阿依 阿果 么妞 阿支 日各 阿西 阿芝 阿嫫 史作 尔作 阿莫 阿衣 阿加 "
    "么作 阿各 石各 日作 阿妞 伍果 阿且 么且 阿力 拉作 子作"
)

TIBETAN_FIRST = _words(
    "扎西 次仁 格桑 达瓦 尼玛 平措 顿珠 旦增 洛桑 索朗 多吉 边巴 普布 拉巴 "
    "米玛 白玛 央金 德吉 卓玛 拉姆 强巴 仁增 巴桑 次旦 益西 阿旺 贡嘎 丹增"
)
TIBETAN_MALE_SECOND = _words(
    "多吉 次仁 顿珠 旺堆 平措 罗布 达瓦 曲扎 扎西 群培 旺久 加措 江村 尼玛 坚参"
)
TIBETAN_FEMALE_SECOND = _words(
    "卓玛 拉姆 央金 德吉 曲珍 措姆 玉珍 白珍 次珍 卓嘎 央宗 旺姆 普赤 曲宗 拉珍"
)

UYGHUR_MALE = _words(
    "买买提 艾力 吐尔逊 阿不都 热合曼 肉孜 艾合买提 依明 阿布拉 卡德尔 努尔 麦麦提 亚森 吾斯曼 "
    "玉素甫 塔依尔 阿卜杜拉 吐逊 库尔班 艾尔肯 司马义 阿里木 伊力 阿迪力"
)
UYGHUR_FEMALE = _words(
    "古丽 阿依古丽 帕提古丽 热依拉 布维 阿依努尔 米热古丽 祖丽皮亚 热孜亚 "
    "阿瓦汗 努尔曼古丽 帕丽旦 阿娜尔 再努尔 古再丽努尔 阿依先木 玛依拉 哈丽旦"
)
