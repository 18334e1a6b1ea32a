-- Alt text for every image, in every output format (and, below, table frames and Swedish quotation marks).
-- Quarto writes an image's `fig-alt` attribute as its alt text; plain pandoc does not, and
-- pandoc's Typst writer drops alt text altogether. This filter moves `fig-alt` to the
-- image's alt text (HTML `alt`, DOCX picture description `descr`) and, for Typst, writes the image call itself
-- with `alt:` so the PDF's figure tags carry it (PDF/UA-1 requires it).

local function typst_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', ' ') .. '"'
end

function Image(img)
  local alt = img.attributes["fig-alt"]
  if alt then
    img.attributes["fig-alt"] = nil
    img.attributes["alt"] = alt
  else
    alt = pandoc.utils.stringify(img.caption)
  end
  if FORMAT == "typst" then
    if alt == "" then
      error("image " .. img.src .. " has no alt text")
    end
    return pandoc.RawInline("typst", "#image(" .. typst_string(img.src) .. ", alt: " .. typst_string(alt) .. ")")
  end
  if FORMAT == "docx" then
    -- the DOCX writer takes the picture's description (descr) from the image's own inlines
    img.caption = pandoc.Inlines(alt)
  end
  return img
end

-- HTML: header cells say what they head (scope), for screen readers. A table wider than a phone
-- scrolls inside its own frame (a named region a keyboard can reach), never the whole page.
function Table(tbl)
  for _, row in ipairs(tbl.head.rows) do
    for _, cell in ipairs(row.cells) do
      cell.attributes["scope"] = "col"
    end
  end
  if FORMAT:match("html") then
    local name = pandoc.utils.stringify(tbl.caption.long)
    if name == "" then name = "Tabell" end
    -- attributes as an ordered list (a Lua table with keys has no fixed order: the bytes would vary)
    return pandoc.Div({tbl}, pandoc.Attr("", {"tabell"}, {{"role", "region"}, {"tabindex", "0"}, {"aria-label", name}}))
  end
  return tbl
end

-- Swedish quotation marks in every format: ”…” and ’…’ (pandoc's writers use English “…” otherwise).
function Quoted(q)
  local mark = q.quotetype == "DoubleQuote" and "”" or "’"
  local out = pandoc.Inlines({pandoc.Str(mark)})
  out:extend(q.content)
  out:insert(pandoc.Str(mark))
  return out
end
