//! The step-through page: one self-contained HTML file, rendered from `templates/view.html`
//! with the recording embedded as JSON and a small inline script that rebuilds each state.

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};

use crate::Recording;

/// Rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The data could not be serialised (it never fails for the types of this crate; kept so
    /// that a failure is reported, not hidden).
    #[error("cannot serialise the recording: {0}")]
    Json(#[from] serde_json::Error),
    /// A template failed to compile or render.
    #[error("cannot render the template: {0}")]
    Template(#[from] minijinja::Error),
}

/// The templates, compiled into the binary so that the page needs no file at run time.
pub(crate) fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    // SVG is XML: escape it as HTML, as `.html` templates are.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") || name.ends_with(".svg") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.add_template("view.html", include_str!("../templates/view.html"))?;
    env.add_template("view.css", include_str!("../templates/view.css"))?;
    env.add_template("view.js", include_str!("../templates/view.js"))?;
    env.add_template("state.svg", include_str!("../templates/state.svg"))?;
    Ok(env)
}

/// The recording as JSON that is safe inside a `<script>` element: every `<`, `>` and `&`
/// (which can only occur inside JSON strings) is written as a `\u` escape, so no `</script>`
/// or `<!--` in a command or its output can end the element early.
pub fn embedded_json(rec: &Recording) -> Result<String, serde_json::Error> {
    let json = serde_json::to_string(rec)?;
    let mut safe = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            c => safe.push(c),
        }
    }
    Ok(safe)
}

/// The whole page for `rec`: HTML, CSS, script and data in one file that needs no network.
///
/// # Errors
/// [`RenderError`] if serialising or rendering fails.
pub fn render_page(rec: &Recording) -> Result<String, RenderError> {
    let data = embedded_json(rec)?;
    let env = environment()?;
    let html = env.get_template("view.html")?.render(context! {
        title => &rec.title,
        machine => Value::from(Serde(&rec.machine)),
        steps => rec.steps.len(),
        data => Value::from_safe_string(data),
    })?;
    Ok(html)
}
