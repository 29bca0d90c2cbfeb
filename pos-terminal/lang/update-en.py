#!/usr/bin/env python3
"""Writes lang/en/LC_MESSAGES/pos-terminal.po from the @tr strings of ui/*.slint
(context = the component, as Slint does) and the English table below.
Run it after changing a @tr string: python3 lang/update-en.py"""
import pathlib, re, sys

EN = {
    "● 在线": "● Online", "● 离线": "● Offline", "演示模式": "Demo mode",
    "⚠ 本餐次今天已吃过补贴餐：按标准价收费": "⚠ Already had a subsidised meal in this slot today: standard price",
    "下一位": "Next", "主管密码": "Supervisor PIN",
    "主管密码（作废销售时使用，4到6位数字）": "Supervisor PIN (for voids, 4 to 6 digits)",
    "今天的销售（点选一笔）": "Today's sales (tap one)", "作废": "Void", "作废 / 重打": "Void / reprint",
    "作废原因": "Reason", "例如：打错了人": "e.g. wrong person", "刚好": "Exact",
    "刷卡 / 姓名 / 拼音首字母": "Card / name / pinyin initials", "后台地址": "Backend address",
    "备用金": "Float", "完成": "Done", "实收": "Tendered", "密码": "PIN", "差额": "Difference",
    "已作废": "Voided", "已结班，报表已打印": "Shift closed, report printed", "应收": "Due",
    "应有现金": "Expected cash", "开班": "Open shift", "开班：请选择收银员": "Open shift: who are you?",
    "待上传 {}": "To sync {}", "微信支付": "WeChat Pay", "打错了人": "Wrong person", "找零": "Change",
    "拼音": "ABC", "支付宝": "Alipay", "收款": "Pay", "收款 {}": "Pay {}",
    "收款成功，已保存": "Paid and saved", "收银员：{}": "Cashier: {}",
    "散客（不在名册）": "Walk-in (not on roster)",
    "本机令牌（管理员在后台添加收银机时得到）": "Terminal token (given when the terminal was added)",
    "标准价 {}": "Standard {}", "清点现金": "Counted cash", "清除": "Clear", "现金收款": "Take cash",
    "确认结班并打印": "Close shift and print", "结班": "Close shift", "结班：清点钱箱": "Close shift: count the drawer",
    "补贴 {}": "Subsidy {}", "请刷卡、搜索姓名或输入身份证号": "Scan a card, search a name or type an ID number",
    "请输入18位身份证号": "Type the 18-character ID number", "身份证": "ID no.", "返回": "Back",
    "连接并下载": "Connect and download", "重打": "Reprint", "重打小票": "Reprint receipt",
    "钱箱备用金（元）": "Opening float (yuan)", "顾客退餐": "Meal returned", "餐费": "Meal",
    "首次设置：连接后台，下载名册和价格": "First setup: connect to the backend, download roster and prices",
}

root = pathlib.Path(__file__).resolve().parent.parent
entries = []
missing = []
for f in sorted((root / "ui").glob("*.slint")):
    ctx = None
    for line in f.read_text().splitlines():
        m = re.match(r"\s*(?:export\s+)?component\s+([\w-]+)", line)
        if m:
            ctx = m.group(1)
        for s in re.findall(r'@tr\("((?:[^"\\]|\\.)*)"', line):
            if (ctx, s) in [(c, x) for c, x, _ in entries]:
                continue
            if s not in EN:
                missing.append(s)
            entries.append((ctx, s, EN.get(s, "")))
out = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '"Language: en\\n"', ""]
for ctx, s, en in entries:
    out += [f'msgctxt "{ctx}"', f'msgid "{s}"', f'msgstr "{en}"', ""]
dest = root / "lang" / "en" / "LC_MESSAGES" / "pos-terminal.po"
dest.parent.mkdir(parents=True, exist_ok=True)
dest.write_text("\n".join(out))
if missing:
    sys.exit("no English for: " + ", ".join(missing))
