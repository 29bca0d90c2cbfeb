//! The pages' two languages: Simplified Chinese (the default) and English.
//! Every word a page shows is a field of [`Messages`], filled for both
//! languages below, so a label missing in one language does not compile.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use crate::roles::Role;

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
};
