<?xml version="1.0" encoding="UTF-8"?>
<!-- Field and name helpers shared by bibtex.xsl and biblatex.xsl. -->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:te="urn:tei-edition"
  exclude-result-prefixes="#all">

  <!-- '  name = {value}', or nothing for an empty value. -->
  <xsl:function name="te:field" as="xs:string?">
    <xsl:param name="name" as="xs:string"/>
    <xsl:param name="value" as="xs:string?"/>
    <xsl:sequence select="if (normalize-space($value) = '') then () else '  ' || $name || ' = {' || $value || '}'"/>
  </xsl:function>

  <!-- A BibTeX name list: 'Family, Given and {Institution}'. -->
  <xsl:function name="te:names" as="xs:string?">
    <xsl:param name="names" as="element()*"/>
    <xsl:sequence select="if (empty($names)) then () else string-join(
      for $n in $names return (if ($n/@literal) then '{' || te:tex($n/@literal) || '}' else te:tex(te:family-first($n))), ' and ')"/>
  </xsl:function>

  <!-- 'The Edition, edited by X, Publisher, version 1.0.0, 2026' -->
  <xsl:function name="te:container-phrase" as="xs:string?">
    <xsl:param name="r" as="element()"/>
    <xsl:sequence select="te:container-phrase($r, true())"/>
  </xsl:function>

  <!-- The same, naming the editors or not (when an editor field names them). -->
  <xsl:function name="te:container-phrase" as="xs:string?">
    <xsl:param name="r" as="element()"/>
    <xsl:param name="editors" as="xs:boolean"/>
    <xsl:sequence select="if (empty($r/te:container)) then () else string-join((
      $r/te:container,
      if ($r/te:editor and $editors) then 'edited by ' || string-join($r/te:editor ! te:display-name(.), ' and ') else (),
      $r/te:publisher,
      $r/te:version ! ('version ' || .),
      $r/te:edition-date ! string(te:date-parts(@iso)[1])), ', ')"/>
  </xsl:function>

</xsl:stylesheet>
