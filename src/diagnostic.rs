//! Diagnostics for KDL files (filters, and later the daemon's configuration):
//! every problem points at file:line:column with the offending text
//! underlined, and all problems of a file are reported at once.

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// A KDL source file, shared by all diagnostics that point into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: Arc::new(text.into()),
        }
    }

    fn named(&self) -> NamedSource<Arc<String>> {
        NamedSource::new(self.name.clone(), self.text.clone()).with_language("kdl")
    }

    /// A diagnostic about the text at `span` of this file.
    pub fn error(&self, span: SourceSpan, message: impl Into<String>) -> KdlProblem {
        KdlProblem(Box::new(Problem {
            message: message.into(),
            src: self.named(),
            span,
            label: None,
            help: None,
        }))
    }

    /// Converts the KDL parser's own errors into problems named after this file.
    pub fn parse_errors(&self, error: &kdl::KdlError) -> Vec<KdlProblem> {
        error
            .diagnostics
            .iter()
            .map(|d| {
                KdlProblem(Box::new(Problem {
                    message: d
                        .message
                        .clone()
                        .unwrap_or_else(|| "invalid KDL".to_string()),
                    src: self.named(),
                    span: d.span,
                    label: d.label.clone(),
                    help: d.help.clone(),
                }))
            })
            .collect()
    }
}

/// One problem in a KDL file. Boxed, so that results carrying it stay small.
#[derive(Debug, Clone, Diagnostic, thiserror::Error)]
#[error(transparent)]
#[diagnostic(transparent)]
pub struct KdlProblem(Box<Problem>);

#[derive(Debug, Clone, Diagnostic, thiserror::Error)]
#[error("{message}")]
struct Problem {
    message: String,
    #[source_code]
    src: NamedSource<Arc<String>>,
    #[label("{}", label.as_deref().unwrap_or("here"))]
    span: SourceSpan,
    label: Option<String>,
    #[help]
    help: Option<String>,
}

impl KdlProblem {
    pub fn with_label(mut self, label: impl Into<String>) -> KdlProblem {
        self.0.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> KdlProblem {
        self.0.help = Some(help.into());
        self
    }

    /// The message alone, without source or position.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The file the problem is in, and the byte range it points at.
    pub fn location(&self) -> (&str, SourceSpan) {
        (self.0.src.name(), self.0.span)
    }
}

/// All problems found in one or more KDL files.
#[derive(Debug, Diagnostic, thiserror::Error)]
#[error("{summary}")]
pub struct KdlProblems {
    summary: String,
    #[related]
    pub problems: Vec<KdlProblem>,
}

impl KdlProblems {
    /// `what` names the thing that failed, e.g. "filter sshd".
    pub fn new(what: &str, problems: Vec<KdlProblem>) -> KdlProblems {
        let n = problems.len();
        let summary = match n {
            1 => format!("{what}: 1 error"),
            _ => format!("{what}: {n} errors"),
        };
        KdlProblems { summary, problems }
    }

    /// Renders every problem as miette would, without colour: for tests and logs.
    pub fn render(&self) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        let mut out = String::new();
        for problem in &self.problems {
            let _ = handler.render_report(&mut out, problem);
        }
        out
    }
}
