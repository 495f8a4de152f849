#pragma once
/// Text inside XML or HTML: the five characters that markup gives a meaning escaped.

#include <string>
#include <string_view>

namespace mqmon {

/// & < > " ' as &amp; &lt; &gt; &quot; &#39; (valid in XML and HTML, text and attribute values).
std::string escape_markup(std::string_view text);

}  // namespace mqmon
