//! The pages' two languages: Simplified Chinese (the default) and English.
//! Every word a page shows is a field of [`Messages`], filled for both
//! languages below, so a label missing in one language does not compile.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use crate::roles::Role;

pub mod finance;

/// Name of the cookie that holds the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The code kept in the cookie and put in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Reads a code; anything unknown is `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language (the switch offers it).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The words of this language.
    pub fn t(self) -> &'static Messages {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// From the request's cookies: the chosen language, else Chinese.
    pub fn from_jar(jar: &CookieJar) -> Lang {
        jar.get(LANG_COOKIE)
            .and_then(|c| Lang::parse(c.value()))
            .unwrap_or_default()
    }

    /// "Try again in N seconds".
    pub fn retry_in(self, seconds: u64) -> String {
        match self {
            Lang::Zh => format!("请 {seconds} 秒后再试。"),
            Lang::En if seconds == 1 => "Try again in 1 second.".into(),
            Lang::En => format!("Try again in {seconds} seconds."),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Infallible> {
        Ok(Lang::from_jar(&CookieJar::from_headers(&parts.headers)))
    }
}

/// Every word the pages show, in one language.
#[derive(Debug)]
pub struct Messages {
    pub app_name: &'static str,
    /// The language switch's label: the name of the other language.
    pub switch_language: &'static str,
    pub signed_in_as: &'static str,
    pub logout: &'static str,
    pub skip_to_content: &'static str,
    pub role_admin: &'static str,
    pub role_finance: &'static str,
    pub role_volunteer: &'static str,
    pub role_cashier: &'static str,
    pub nav_home: &'static str,
    pub nav_password: &'static str,
    pub nav_finance: &'static str,

    pub login_title: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub login_button: &'static str,
    pub bad_login: &'static str,
    pub too_many_logins: &'static str,
    pub busy: &'static str,
    pub signed_out: &'static str,
    pub session_ended: &'static str,

    pub home_title: &'static str,
    pub home_volunteer: &'static str,
    pub home_finance: &'static str,
    pub home_admin: &'static str,
    pub home_cashier: &'static str,
    pub home_links: &'static str,
    pub no_pages_yet: &'static str,

    // Volunteer pages: free-meal days.
    pub nav_record_meal: &'static str,
    pub nav_my_meals: &'static str,
    pub fm_new_title: &'static str,
    pub fm_edit_title: &'static str,
    pub fm_view_title: &'static str,
    pub fm_site: &'static str,
    pub fm_date: &'static str,
    pub fm_slot: &'static str,
    pub slot_breakfast: &'static str,
    pub slot_lunch: &'static str,
    pub slot_dinner: &'static str,
    pub fm_diners: &'static str,
    pub fm_search: &'static str,
    pub fm_search_button: &'static str,
    pub fm_no_match: &'static str,
    pub fm_results: &'static str,
    pub fm_picked: &'static str,
    pub fm_none_picked: &'static str,
    pub fm_extra: &'static str,
    pub fm_volunteers: &'static str,
    pub fm_volunteers_hint: &'static str,
    pub fm_purchases: &'static str,
    pub fm_donations: &'static str,
    pub fm_item: &'static str,
    pub fm_quantity: &'static str,
    pub fm_cost: &'static str,
    pub fm_paid_by: &'static str,
    pub fm_donor: &'static str,
    pub fm_add_row: &'static str,
    pub fm_offline: &'static str,
    pub fm_sending: &'static str,
    pub fm_restored: &'static str,
    pub fm_discard: &'static str,
    pub fm_saved: &'static str,
    pub fm_corrected: &'static str,
    pub fm_already: &'static str,
    pub fm_fix_below: &'static str,
    pub fm_err_date: &'static str,
    pub fm_err_slot: &'static str,
    pub fm_err_extra: &'static str,
    pub fm_err_nobody: &'static str,
    pub fm_err_text: &'static str,
    pub fm_err_purchase: &'static str,
    pub fm_err_donation: &'static str,
    pub fm_err_too_many: &'static str,
    pub fm_err_conflict: &'static str,
    pub fm_err_other_site: &'static str,
    pub fm_err_not_author: &'static str,
    pub fm_err_too_old: &'static str,
    pub mm_totals: &'static str,
    pub mm_this_month: &'static str,
    pub mm_so_far: &'static str,
    pub mm_meals: &'static str,
    pub mm_served: &'static str,
    pub mm_served_before: &'static str,
    pub mm_served_after: &'static str,
    pub mm_purchases: &'static str,
    pub mm_donations: &'static str,
    pub mm_recent: &'static str,
    pub mm_none: &'static str,
    pub mm_people: &'static str,
    pub mm_version: &'static str,
    pub mm_correct: &'static str,
    pub mm_month_lines: &'static str,
    pub mm_no_lines: &'static str,
    pub mm_versions: &'static str,
    pub mm_recorded_at: &'static str,

    pub password_title: &'static str,
    pub password_must_change: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub new_password_again: &'static str,
    pub password_rule: &'static str,
    pub save: &'static str,
    pub password_wrong_current: &'static str,
    pub password_too_short: &'static str,
    pub password_too_long: &'static str,
    pub password_mismatch: &'static str,
    pub password_same: &'static str,
    pub password_changed: &'static str,

    pub error_title: &'static str,
    pub back_home: &'static str,
    pub err_bad_request: &'static str,
    pub err_forbidden: &'static str,
    pub err_forbidden_role: &'static str,
    pub err_csrf: &'static str,
    pub err_other_origin: &'static str,
    pub err_not_found: &'static str,
    pub err_method: &'static str,
    pub err_conflict: &'static str,
    pub err_invalid: &'static str,
    pub err_too_large: &'static str,
    pub err_timeout: &'static str,
    pub err_server: &'static str,
    pub err_no_site: &'static str,
    /// The finance pages' words.
    pub fin: &'static finance::FinanceMessages,
}

impl Messages {
    /// A role's name.
    pub fn role(&self, role: Role) -> &'static str {
        match role {
            Role::Admin => self.role_admin,
            Role::Finance => self.role_finance,
            Role::Volunteer => self.role_volunteer,
            Role::Cashier => self.role_cashier,
        }
    }

    /// A meal slot's name.
    pub fn slot(&self, slot: canteen_core::Slot) -> &'static str {
        match slot {
            canteen_core::Slot::Breakfast => self.slot_breakfast,
            canteen_core::Slot::Lunch => self.slot_lunch,
            canteen_core::Slot::Dinner => self.slot_dinner,
        }
    }
}

static ZH: Messages = Messages {
    app_name: "幸福食堂",
    switch_language: "English",
    signed_in_as: "当前用户",
    logout: "退出登录",
    skip_to_content: "跳到正文",
    role_admin: "管理员",
    role_finance: "财务",
    role_volunteer: "志愿者",
    role_cashier: "收银员",
    nav_home: "首页",
    nav_password: "修改密码",
    nav_finance: "财务",

    login_title: "登录",
    username: "用户名",
    password: "密码",
    login_button: "登录",
    bad_login: "用户名或密码错误。",
    too_many_logins: "登录失败次数过多。",
    busy: "服务器正忙，请稍后再试。",
    signed_out: "您已退出登录。",
    session_ended: "登录已过期，请重新登录。",

    home_title: "首页",
    home_volunteer: "在这里记录村里的免费餐。",
    home_finance: "在这里查看补贴、审核和结账。",
    home_admin: "在这里管理花名册、价格、站点和用户。",
    home_cashier: "收银请使用食堂柜台的收银终端。",
    home_links: "可用的页面",
    no_pages_yet: "暂时没有更多页面。",

    // Volunteer pages: free-meal days.
    nav_record_meal: "记录免费餐",
    nav_my_meals: "我的记录和合计",
    fm_new_title: "记录免费餐",
    fm_edit_title: "更正免费餐记录",
    fm_view_title: "免费餐记录",
    fm_site: "站点",
    fm_date: "日期",
    fm_slot: "餐次",
    slot_breakfast: "早餐",
    slot_lunch: "午餐",
    slot_dinner: "晚餐",
    fm_diners: "名册上来吃饭的人",
    fm_search: "按姓名、拼音首字母或卡号查找",
    fm_search_button: "查找",
    fm_no_match: "名册上没有找到，可以换个写法，或算在下面的人数里。",
    fm_results: "找到的人（勾选来吃饭的）",
    fm_picked: "已选的人",
    fm_none_picked: "还没有选人。",
    fm_extra: "不在名册上的人数",
    fm_volunteers: "值班的志愿者",
    fm_volunteers_hint: "多个名字用逗号或顿号分开。",
    fm_purchases: "采购",
    fm_donations: "捐赠",
    fm_item: "物品",
    fm_quantity: "数量",
    fm_cost: "金额（元）",
    fm_paid_by: "谁付的钱",
    fm_donor: "捐赠人（可不填）",
    fm_add_row: "再加一行",
    fm_offline: "没有提交成功：没有网络，或服务器没有响应。填写的内容已保存在这部手机上，有信号后请再点“保存”。",
    fm_sending: "正在提交……",
    fm_restored: "已恢复这部手机上还没有提交成功的内容。",
    fm_discard: "清除这些内容",
    fm_saved: "已保存。",
    fm_corrected: "已更正，保存为新版本。",
    fm_already: "这条记录之前已经保存过，没有重复保存。",
    fm_fix_below: "有几处要改一下，见下面红字。",
    fm_err_date: "请填写日期，不能是将来的日期。",
    fm_err_slot: "请选择早餐、午餐或晚餐。",
    fm_err_extra: "人数要写成 0 或正整数（最多 10000）。",
    fm_err_nobody: "请勾选名册上的人，或填写不在名册上的人数。",
    fm_err_text: "太长（最多 100 个字）或含有看不见的控制字符，请改一下。",
    fm_err_purchase: "要写物品和金额（元，例如 12.50）。",
    fm_err_donation: "要写捐赠的物品。",
    fm_err_too_many: "一次最多 1000 人、200 行采购和 200 行捐赠。",
    fm_err_conflict: "这个记录之前已经保存了不同的内容，请到“我的记录和合计”里打开它来更正。",
    fm_err_other_site: "这条记录属于别的站点，您不能打开或更正。",
    fm_err_not_author: "只有记录这一天的志愿者才能更正。",
    fm_err_too_old: "只能更正最近 7 天的记录，更早的请联系管理员。",
    mm_totals: "本站合计",
    mm_this_month: "本月",
    mm_so_far: "累计",
    mm_meals: "餐数",
    mm_served: "惠及人次",
    mm_served_before: "惠及",
    mm_served_after: "人次",
    mm_purchases: "采购金额（元）",
    mm_donations: "捐赠（项）",
    mm_recent: "我最近 7 天的记录",
    mm_none: "最近 7 天还没有您的记录。",
    mm_people: "人数",
    mm_version: "版本",
    mm_correct: "更正",
    mm_month_lines: "本月的采购和捐赠",
    mm_no_lines: "本月还没有采购或捐赠。",
    mm_versions: "历次版本",
    mm_recorded_at: "记录时间",

    password_title: "修改密码",
    password_must_change: "这是为您生成的一次性密码，请先设置您自己的新密码。",
    current_password: "当前密码",
    new_password: "新密码",
    new_password_again: "再输入一次新密码",
    password_rule: "至少 10 个字符。",
    save: "保存",
    password_wrong_current: "当前密码不正确。",
    password_too_short: "新密码至少需要 10 个字符。",
    password_too_long: "新密码最多 200 个字符。",
    password_mismatch: "两次输入的新密码不一致。",
    password_same: "新密码不能与一次性密码相同。",
    password_changed: "密码已修改。",

    error_title: "出错了",
    back_home: "返回首页",
    err_bad_request: "请求无法读取，请返回重试。",
    err_forbidden: "您没有权限打开这个页面。",
    err_forbidden_role: "这个页面只对以下角色开放：",
    err_csrf: "表单已过期或不完整，请返回、刷新页面后重新提交。",
    err_other_origin: "这个表单来自其他网站，已被拒绝。",
    err_not_found: "找不到这个页面或记录。",
    err_method: "这个页面不接受这种请求。",
    err_conflict: "与已保存的内容冲突，请刷新后再试。",
    err_invalid: "填写的内容有误：",
    err_too_large: "提交的内容太大。",
    err_timeout: "请求时间太长，请稍后再试。",
    err_server: "服务器出错了，已记录下来。请稍后再试。",
    err_no_site: "您的账号没有分配站点，请联系管理员。",
    fin: &finance::ZH,
};

static EN: Messages = Messages {
    app_name: "Happiness Canteen",
    switch_language: "中文",
    signed_in_as: "Signed in as",
    logout: "Sign out",
    skip_to_content: "Skip to content",
    role_admin: "administrator",
    role_finance: "finance",
    role_volunteer: "volunteer",
    role_cashier: "cashier",
    nav_home: "Home",
    nav_password: "Change password",
    nav_finance: "Finance",

    login_title: "Sign in",
    username: "Username",
    password: "Password",
    login_button: "Sign in",
    bad_login: "Wrong username or password.",
    too_many_logins: "Too many failed sign-ins.",
    busy: "The server is busy. Please try again shortly.",
    signed_out: "You have signed out.",
    session_ended: "Your session has ended. Please sign in again.",

    home_title: "Home",
    home_volunteer: "Record the village's free meals here.",
    home_finance: "See the subsidy, review flagged lines and close months here.",
    home_admin: "Keep the roster, prices, sites and users here.",
    home_cashier: "Cashiers sell at the canteen's counter terminal.",
    home_links: "Pages",
    no_pages_yet: "No further pages yet.",

    // Volunteer pages: free-meal days.
    nav_record_meal: "Record a free meal",
    nav_my_meals: "My entries and totals",
    fm_new_title: "Record a free meal",
    fm_edit_title: "Correct a free-meal entry",
    fm_view_title: "Free-meal entry",
    fm_site: "Site",
    fm_date: "Date",
    fm_slot: "Meal",
    slot_breakfast: "Breakfast",
    slot_lunch: "Lunch",
    slot_dinner: "Dinner",
    fm_diners: "Diners on the roster",
    fm_search: "Find by name, pinyin initials or card number",
    fm_search_button: "Find",
    fm_no_match: "Nobody on the roster matches: try another spelling, or count them in the headcount below.",
    fm_results: "Found (tick who ate)",
    fm_picked: "Picked",
    fm_none_picked: "Nobody picked yet.",
    fm_extra: "People not on the roster (headcount)",
    fm_volunteers: "Volunteers on duty",
    fm_volunteers_hint: "Separate names with commas.",
    fm_purchases: "Purchases",
    fm_donations: "Donations",
    fm_item: "Item",
    fm_quantity: "Quantity",
    fm_cost: "Cost (yuan)",
    fm_paid_by: "Paid by",
    fm_donor: "Donor (optional)",
    fm_add_row: "Add a row",
    fm_offline: "Not sent: no network, or the server did not answer. What you typed is kept on this phone: press Save again when you have a signal.",
    fm_sending: "Sending…",
    fm_restored: "Restored what was typed on this phone and not yet sent.",
    fm_discard: "Discard it",
    fm_saved: "Saved.",
    fm_corrected: "Corrected: stored as a new version.",
    fm_already: "This entry was saved before; it was not stored twice.",
    fm_fix_below: "Some fields need a change: see the red notes below.",
    fm_err_date: "Give the date; it cannot be in the future.",
    fm_err_slot: "Choose breakfast, lunch or dinner.",
    fm_err_extra: "Write the headcount as 0 or a whole number (at most 10000).",
    fm_err_nobody: "Tick diners from the roster or give a headcount.",
    fm_err_text: "Too long (at most 100 characters) or holds an invisible control character: please change it.",
    fm_err_purchase: "Needs an item and a cost in yuan (e.g. 12.50).",
    fm_err_donation: "Needs the item donated.",
    fm_err_too_many: "At most 1000 diners, 200 purchases and 200 donations at a time.",
    fm_err_conflict: "This entry was already saved with other content: open it from “My entries and totals” to correct it.",
    fm_err_other_site: "This entry belongs to another site: you may not open or correct it.",
    fm_err_not_author: "Only the volunteer who recorded this day may correct it.",
    fm_err_too_old: "Only entries of the last 7 days can be corrected; ask an administrator for older ones.",
    mm_totals: "This site's totals",
    mm_this_month: "This month",
    mm_so_far: "So far",
    mm_meals: "Meals",
    mm_served: "People served",
    mm_served_before: "Served",
    mm_served_after: "people",
    mm_purchases: "Purchases (yuan)",
    mm_donations: "Donations (items)",
    mm_recent: "My entries of the last 7 days",
    mm_none: "You have no entries in the last 7 days.",
    mm_people: "People",
    mm_version: "Version",
    mm_correct: "Correct",
    mm_month_lines: "Purchases and donations this month",
    mm_no_lines: "No purchases or donations this month yet.",
    mm_versions: "Versions",
    mm_recorded_at: "Recorded at",

    password_title: "Change password",
    password_must_change: "This is a one-time password made for you: choose your own password first.",
    current_password: "Current password",
    new_password: "New password",
    new_password_again: "New password again",
    password_rule: "At least 10 characters.",
    save: "Save",
    password_wrong_current: "The current password is wrong.",
    password_too_short: "The new password needs at least 10 characters.",
    password_too_long: "The new password has at most 200 characters.",
    password_mismatch: "The two new passwords differ.",
    password_same: "The new password must differ from the one-time password.",
    password_changed: "Your password has been changed.",

    error_title: "Something went wrong",
    back_home: "Back to the home page",
    err_bad_request: "The request could not be read. Go back and try again.",
    err_forbidden: "You may not open this page.",
    err_forbidden_role: "This page is only for: ",
    err_csrf: "The form has expired or is incomplete. Go back, reload the page and submit again.",
    err_other_origin: "This form came from another site and was refused.",
    err_not_found: "There is no such page or record.",
    err_method: "This page does not take that kind of request.",
    err_conflict: "This conflicts with what is stored. Reload and try again.",
    err_invalid: "Something in the form is wrong: ",
    err_too_large: "What was sent is too large.",
    err_timeout: "The request took too long. Please try again shortly.",
    err_server: "Something went wrong on the server; it has been logged. Please try again later.",
    err_no_site: "Your account has no site. Ask an administrator.",
    fin: &finance::EN,
};
