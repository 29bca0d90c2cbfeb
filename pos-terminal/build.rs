fn main() {
    // Debug info lets the headless tests find elements by id.
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations("lang");
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        panic!("slint compile failed: {e}");
    }
}
